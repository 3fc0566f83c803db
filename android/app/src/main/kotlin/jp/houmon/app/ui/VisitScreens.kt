// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.ui

import android.graphics.BitmapFactory
import androidx.compose.foundation.Image
import androidx.compose.foundation.layout.BoxWithConstraints
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.widthIn
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.toggleable
import androidx.compose.material3.Checkbox
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import jp.houmon.core.AppEvent
import jp.houmon.core.ConsentCategory
import jp.houmon.core.ConsentInput
import jp.houmon.core.Prescription
import jp.houmon.core.VisitScreen
import jp.houmon.core.VisitView
import jp.houmon.core.VisualReason

/** One visit, step by step, as the core's [VisitView] says; every button is an event. */
@Composable
fun VisitScreenView(v: VisitView, send: (AppEvent) -> Unit) {
    Text("${v.patientLine}(${v.kindLabel})", style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
    v.error?.let { Text(it, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodyLarge, modifier = Modifier.live(assertive = true)) }
    when (val s = v.screen) {
        VisitScreen.Starting -> Text("準備しています…")
        is VisitScreen.ChooseMode -> s.options.forEach { o ->
            Action(o.label + if (o.recommended) "(おすすめ)" else "", enabled = o.enabled, primary = o.recommended) { send(AppEvent.ChooseMode(o.mode)) }
            o.whyNot?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
        }
        is VisitScreen.EnterPin -> {
            s.triesLeft?.let { Text("残り $it 回") }
            s.warning?.let { Text(it, color = MaterialTheme.colorScheme.error) }
            // Keyed by the step: a new pad (and the old one wiped) for every entry.
            SecretPad("利用者証明用の暗証番号(数字4桁)", 4, 4) { send(AppEvent.SubmitPin(it)) }
        }
        is VisitScreen.EnterCollation -> {
            s.triesLeft?.let { Text("残り $it 回") }
            s.warning?.let { Text(it, color = MaterialTheme.colorScheme.error) }
            Text(s.hint, style = MaterialTheme.typography.bodySmall)
            SecretPad("照合番号B(14桁)", 14, 14) { send(AppEvent.SubmitCollation(it)) }
        }
        is VisitScreen.HoldCard -> {
            Text(s.line, style = MaterialTheme.typography.headlineSmall, modifier = Modifier.live(assertive = false))
            Text("当てる場所: ${s.antennaHint}", style = MaterialTheme.typography.bodyLarge)
            if (s.reading && s.expected > 0u) {
                LinearProgressIndicator(progress = { s.done.toFloat() / s.expected.toFloat() }, modifier = Modifier.fillMaxWidth())
                Text("読み取りが終わるまでカードを動かさないでください")
            }
        }
        is VisitScreen.ConfirmLastTry -> {
            Text(s.message, style = MaterialTheme.typography.titleMedium)
            Action("患者さんの同意を得たので続ける") { send(AppEvent.ConfirmLastTry) }
        }
        is VisitScreen.WrongCard -> {
            Text(s.message, style = MaterialTheme.typography.titleMedium, modifier = Modifier.live(assertive = true))
            Action("別のカードを当てる") { send(AppEvent.HoldAnotherCard) }
        }
        is VisitScreen.ConfirmNewCard -> {
            Text(s.message, style = MaterialTheme.typography.titleMedium)
            Action("再発行されたカードであることを確認した") { send(AppEvent.ConfirmNewCard) }
            Action("別のカードを当てる", primary = false) { send(AppEvent.HoldAnotherCard) }
        }
        is VisitScreen.ComparePhoto -> PhotoCompare(s, send)
        is VisitScreen.Consent -> ConsentForm(s, send)
        is VisitScreen.Refused -> {
            Text(s.message, style = MaterialTheme.typography.titleMedium, modifier = Modifier.live(assertive = true))
            s.renewal?.let { RenewalBlock(it) }
        }
        is VisitScreen.Done -> {
            Text("確認が終わりました", style = MaterialTheme.typography.headlineSmall, modifier = Modifier.live(assertive = false))
            Text(s.term.description)
            Text(s.deliveryLine, modifier = Modifier.live(assertive = false))
            s.renewal?.let { RenewalBlock(it) }
            Action("訪問一覧に戻る") { send(AppEvent.FinishVisit) }
        }
        is VisitScreen.Cancelled -> {
            Text(s.message)
            Action("訪問一覧に戻る") { send(AppEvent.FinishVisit) }
        }
    }
    if (v.guidanceOffered) Action("受付ガイドを見る", primary = false) { send(AppEvent.OpenReception) }
    if (v.canCancel) Action(v.cancelLabel, primary = false) { send(AppEvent.CancelVisit) }
}

/** The chip's photo beside the form on a wide screen, above it on a phone. */
@Composable
private fun PhotoCompare(s: VisitScreen.ComparePhoto, send: (AppEvent) -> Unit) {
    val bitmap = remember(s.png) { BitmapFactory.decodeByteArray(s.png, 0, s.png.size)?.asImageBitmap() }
    var reason by remember { mutableStateOf<VisualReason?>(null) }
    var note by remember { mutableStateOf("") }
    val photo = @Composable { bitmap?.let { Image(it, contentDescription = "ICチップの顔写真", modifier = Modifier.size(240.dp)) } }
    val form = @Composable {
        Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(s.checker, style = MaterialTheme.typography.titleSmall)
            Text(s.note)
            Text("暗証番号を使わない理由", style = MaterialTheme.typography.titleSmall)
            s.reasons.forEach { o ->
                Row(Modifier.fillMaxWidth().heightIn(min = TouchTarget).selectable(selected = reason == o.reason, role = Role.RadioButton, onClick = { reason = o.reason })) {
                    RadioButton(selected = reason == o.reason, onClick = null)
                    Text(o.label)
                }
            }
            OutlinedTextField(note, { note = it }, label = { Text("メモ(「その他」のときは必須)") }, modifier = Modifier.fillMaxWidth())
            Action("本人と確認した", enabled = reason != null) { reason?.let { send(AppEvent.PhotoMatches(it, note)) } }
            Action("本人と確認できない", primary = false) { send(AppEvent.PhotoDoesNotMatch) }
        }
    }
    BoxWithConstraints {
        if (maxWidth >= 560.dp) {
            Row(horizontalArrangement = Arrangement.spacedBy(16.dp)) {
                photo()
                Column(Modifier.widthIn(max = 360.dp)) { form() }
            }
        } else {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                photo()
                form()
            }
        }
    }
}

@Composable
private fun ConsentForm(s: VisitScreen.Consent, send: (AppEvent) -> Unit) {
    var comprehensive by remember { mutableStateOf(true) }
    val chosen = remember { mutableStateListOf<ConsentCategory>() }
    var rx by remember { mutableStateOf(Prescription.ELECTRONIC) }
    Text(s.headline, style = MaterialTheme.typography.titleMedium, modifier = Modifier.live(assertive = false))
    Text("情報提供の同意", style = MaterialTheme.typography.titleSmall)
    Row(Modifier.fillMaxWidth().heightIn(min = TouchTarget).toggleable(comprehensive, role = Role.Switch, onValueChange = { comprehensive = it })) {
        Text("包括同意(すべての情報)", Modifier.weight(1f))
        Switch(comprehensive, onCheckedChange = null)
    }
    if (!comprehensive) {
        s.categories.forEach { o ->
            Row(Modifier.fillMaxWidth().heightIn(min = TouchTarget).toggleable(o.category in chosen, role = Role.Checkbox, onValueChange = { on -> if (on) chosen += o.category else chosen -= o.category })) {
                Checkbox(o.category in chosen, onCheckedChange = null)
                Text(o.label)
            }
        }
    }
    Text("処方箋", style = MaterialTheme.typography.titleSmall)
    s.prescriptions.forEach { o ->
        Row(Modifier.fillMaxWidth().heightIn(min = TouchTarget).selectable(selected = rx == o.prescription, role = Role.RadioButton, onClick = { rx = o.prescription })) {
            RadioButton(rx == o.prescription, onClick = null)
            Text(o.label)
        }
    }
    Text(s.term.description, style = MaterialTheme.typography.bodyMedium)
    Action(if (s.storing) "保存しています…" else "同意を記録する", enabled = !s.storing) {
        send(AppEvent.GiveConsent(ConsentInput(comprehensive, chosen.toList(), rx)))
    }
}
