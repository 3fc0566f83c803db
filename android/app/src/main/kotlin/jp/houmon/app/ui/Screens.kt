// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.selection.toggleable
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import jp.houmon.core.AppEvent
import jp.houmon.core.EnrolView
import jp.houmon.core.Header
import jp.houmon.core.PatientRow
import jp.houmon.core.QueueView
import jp.houmon.core.ReceptionView
import jp.houmon.core.RecoveryView
import jp.houmon.core.RoundView
import jp.houmon.core.SettingsView
import jp.houmon.core.SignInView
import jp.houmon.core.RenewalAdvice

/** The store did not open: the core's message and code, retry, and the administrator's reset. */
@Composable
fun RecoveryScreen(r: RecoveryView, send: (AppEvent) -> Unit) {
    Text(r.title, style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
    Text(r.message, modifier = Modifier.live(assertive = true))
    Text("コード: ${r.code}", style = MaterialTheme.typography.bodySmall)
    r.unsent?.let { Text("クリニックに届いていない記録: ${it}件") }
    Action(r.retryLabel) { send(AppEvent.RetryOpen) }
    val step = r.resetStep
    if (step == null) {
        Action(r.resetLabel, primary = false) { send(AppEvent.StartReset) }
    } else {
        Text(step, modifier = Modifier.live(assertive = false))
        QrInput(busy = false, attempt = step) { send(AppEvent.EnrolmentScanned(it)) }
    }
}

/** Enrolment: the clinic's one-time QR code. */
@Composable
fun EnrolScreen(e: EnrolView, send: (AppEvent) -> Unit) {
    Text(e.title, style = MaterialTheme.typography.titleLarge)
    Text(e.explanation)
    e.error?.let { Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.live(assertive = true)) }
    if (e.busy) Text("登録しています…", modifier = Modifier.live(assertive = false))
    QrInput(busy = e.busy, attempt = e.error) { send(AppEvent.EnrolmentScanned(it)) }
}

/** Who is at the door today: pick your name, type your sign-in code. */
@Composable
fun SignInScreen(s: SignInView, send: (AppEvent) -> Unit) {
    var chosen by remember { mutableStateOf<String?>(null) }
    Text(s.title, style = MaterialTheme.typography.titleLarge)
    Text(s.explanation)
    s.error?.let { Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.live(assertive = true)) }
    s.staff.forEach { p ->
        Action(p.name, enabled = p.canSignIn && !s.checking, primary = chosen == p.staffId) { chosen = p.staffId }
        p.note?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
    }
    chosen?.let { id ->
        if (s.checking) Text("確認しています…", modifier = Modifier.live(assertive = false))
        SecretPad("サインインコード", s.codeMin.toInt(), s.codeMax.toInt(), "サインイン") { code -> send(AppEvent.SignIn(id, code)) }
    }
}

/** The day's round: patients by home / facility floor, each with the server's last result and its time. */
@Composable
fun RoundScreen(r: RoundView, header: Header, send: (AppEvent) -> Unit) {
    Text(r.title, style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
    if (r.loading) Text("予定を読み込んでいます…", modifier = Modifier.live(assertive = false))
    r.offlineLine?.let { Text(it, color = MaterialTheme.colorScheme.secondary) }
    r.error?.let { Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.live(assertive = true)) }
    if (r.cardsOut > 0u) Text("施設から預かっているカード: ${r.cardsOut}枚", color = MaterialTheme.colorScheme.error)
    if (r.signInNeeded) Action("サインインする") { send(AppEvent.OpenSignIn) }
    r.emptyLine?.let { Text(it) }
    r.groups.forEach { g ->
        Text(g.title, style = MaterialTheme.typography.titleMedium, modifier = Modifier.padding(top = 8.dp).semantics { heading() })
        g.patients.forEach { p -> PatientCard(p, send) }
    }
    Buttons {
        OutlinedButton(onClick = { send(AppEvent.Refresh) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("予定を更新") }
        r.unplanned.forEach { k ->
            OutlinedButton(onClick = { send(AppEvent.OpenUnplannedVisit(k.kind)) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text(k.label) }
        }
        OutlinedButton(onClick = { send(AppEvent.OpenQueue) }, modifier = Modifier.heightIn(min = TouchTarget)) {
            Text(if (header.pending + header.wedged > 0u) "未送信 ${header.pending + header.wedged}件" else "未送信")
        }
        OutlinedButton(onClick = { send(AppEvent.OpenReception) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("受付ガイド") }
        OutlinedButton(onClick = { send(AppEvent.OpenSettings) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("設定") }
        if (header.staffLine != null && !r.signInNeeded) {
            TextButton(onClick = { send(AppEvent.SignOut) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("サインアウト") }
        }
    }
}

@Composable
private fun PatientCard(p: PatientRow, send: (AppEvent) -> Unit) {
    Card(Modifier.fillMaxWidth().clickable(onClickLabel = "本人確認を始める") { send(AppEvent.OpenPatient(p.patientId)) }) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(p.name + if (p.next) "  ← 次の患者さん" else "", style = MaterialTheme.typography.titleMedium)
            Text("${p.ageLine}  ${p.address}", style = MaterialTheme.typography.bodySmall)
            Text(p.eligibility.label, style = MaterialTheme.typography.bodyMedium)
            p.visitedLine?.let { Text(it, color = MaterialTheme.colorScheme.secondary) }
            p.consentLine?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
            p.custody?.let { Text(it.text, color = if (it.out) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurface) }
            Buttons {
                if (p.canTakeCard) TextButton(onClick = { send(AppEvent.TakeCard(p.patientId)) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("カードを預かる") }
                if (p.canReturnCard) TextButton(onClick = { send(AppEvent.ReturnCard(p.patientId)) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("カードを返却した") }
            }
        }
    }
}

/** What to try first, then what to charge, when the card cannot be used (the core's dated rules). */
@Composable
fun ReceptionScreen(r: ReceptionView, send: (AppEvent) -> Unit) {
    Text(r.patientLine, style = MaterialTheme.typography.titleMedium)
    r.error?.let { Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.live(assertive = true)) }
    r.guidance?.let { g ->
        Text(g.headline, style = MaterialTheme.typography.titleMedium, modifier = Modifier.live(assertive = false))
        g.nextChecks.forEachIndexed { i, step -> Text("${i + 1}. $step") }
        Text("負担: ${g.shareText}", style = MaterialTheme.typography.titleSmall)
        g.warnings.forEach { w -> Text((if (w.uncertain) "要確認: " else "") + w.text, color = MaterialTheme.colorScheme.error) }
        g.declarationFields.forEach { Text("・$it", style = MaterialTheme.typography.bodySmall) }
        g.renewal?.let { RenewalBlock(it) }
    }
    Text("試した手順", style = MaterialTheme.typography.titleSmall, modifier = Modifier.semantics { heading() })
    r.steps.forEach { o ->
        val chosen = r.resultOptions.firstOrNull { it.result == o.result }?.label
        Text(o.label + (chosen?.let { "($it)" } ?: ""))
        Buttons {
            r.resultOptions.forEach { res ->
                TextButton(onClick = { send(AppEvent.RecordReceptionStep(o.step, res.result, null)) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text(res.label) }
            }
        }
    }
}

/** The certificate's renewal, as the core coaches it: what to tell the patient and the family. */
@Composable
fun RenewalBlock(a: RenewalAdvice) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(a.title, style = MaterialTheme.typography.titleSmall, modifier = Modifier.semantics { heading() })
            a.steps.forEachIndexed { i, step -> Text("${i + 1}. $step") }
        }
    }
}

/** Records not yet accepted: pending ones, and refused ones with the clinic's reason. */
@Composable
fun QueueScreen(q: QueueView, send: (AppEvent) -> Unit) {
    Text(q.summary, modifier = Modifier.live(assertive = false))
    q.nextTryLine?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
    q.wedged.forEach { row ->
        Card(Modifier.fillMaxWidth()) {
            Column(Modifier.padding(12.dp)) {
                Text("要確認: ${row.createdLine}", style = MaterialTheme.typography.titleSmall)
                row.reason?.let { Text(it) }
                Buttons {
                    TextButton(onClick = { send(AppEvent.RetryRecord(row.id)) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("再送する") }
                    TextButton(onClick = { send(AppEvent.DiscardRecord(row.id)) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("破棄する") }
                }
            }
        }
    }
    q.pending.forEach { row -> Text("送信待ち: ${row.createdLine}(${row.attempts}回試行)", modifier = Modifier.padding(vertical = 8.dp)) }
}

@Composable
fun SettingsScreen(s: SettingsView, send: (AppEvent) -> Unit) {
    s.lines.forEach { Text(it) }
    s.signedIn?.let { Text("サインイン中: $it") }
    Row(
        Modifier.fillMaxWidth().heightIn(min = TouchTarget).toggleable(
            value = s.carefulReading,
            role = Role.Switch,
            onValueChange = { send(AppEvent.SetCarefulReading(it)) },
        ),
    ) {
        Text(s.carefulReadingLabel, Modifier.weight(1f))
        Switch(s.carefulReading, onCheckedChange = null)
    }
}
