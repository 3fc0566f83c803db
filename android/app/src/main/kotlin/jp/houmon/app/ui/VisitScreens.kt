// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.ui

import android.graphics.BitmapFactory
import androidx.compose.foundation.Image
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.Checkbox
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.launch
import jp.houmon.app.logic.AppController
import jp.houmon.app.logic.VisitController
import jp.houmon.app.logic.VisitScreen
import jp.houmon.app.platform.CardReader
import jp.houmon.core.ConsentCategory
import jp.houmon.core.IdentityMode
import jp.houmon.core.Prescription
import jp.houmon.core.VisualReason

/** Draws the visit's current [VisitScreen]; every button calls the controller. */
@Composable
fun VisitScreenHost(app: AppController, reader: CardReader, onReaderChange: () -> Unit) {
    val visit = app.visit ?: return
    val screen by visit.screen.collectAsState()
    val scope = rememberCoroutineScope()
    LaunchedEffect(screen) { onReaderChange() }
    Column(Modifier.fillMaxSize().padding(16.dp).verticalScroll(rememberScrollState()), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        screen.error?.let { Text(it, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodyLarge) }
        when (val s = screen) {
            is VisitScreen.Starting -> Text("準備しています…")
            is VisitScreen.ChooseMode -> {
                s.patientName?.let { Text("$it さん", style = MaterialTheme.typography.headlineSmall) }
                s.options.forEach { o ->
                    Button(onClick = { visit.chooseMode(o.mode) }, enabled = o.enabled, modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget)) {
                        Text(o.label)
                    }
                    o.whyNot?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
                }
            }
            is VisitScreen.EnterPin -> SecretPad("利用者証明用の暗証番号(数字4桁)", 4, s.triesLeft, s.warning) { visit.submitPin(it) }
            is VisitScreen.EnterCollation -> SecretPad("照合番号B(生年月日6桁・有効期限の西暦4桁・セキュリティコード4桁)", 14, s.triesLeft, s.warning) { visit.submitCollation(it) }
            is VisitScreen.ConfirmLastTry -> {
                Text(s.message, style = MaterialTheme.typography.titleMedium)
                Button(onClick = visit::confirmLastTry, modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget)) { Text("患者さんの同意を得たので続ける") }
                OutlinedButton(onClick = visit::backToModeChoice, modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget)) { Text("暗証番号を使わない") }
            }
            is VisitScreen.HoldCard -> {
                Text(s.line, style = MaterialTheme.typography.headlineSmall, modifier = Modifier.semantics { contentDescription = s.line })
                Text("当てる場所: ${s.antennaHint}", style = MaterialTheme.typography.bodyLarge)
                if (s.reading && s.expected > 0) {
                    LinearProgressIndicator(progress = { s.done.toFloat() / s.expected }, modifier = Modifier.fillMaxWidth())
                    Text("読み取りが終わるまでカードを動かさないでください")
                }
                if (!reader.enabled) Text("NFCがオフです。設定でNFCをオンにしてください。", color = MaterialTheme.colorScheme.error)
                OutlinedButton(onClick = visit::backToModeChoice, modifier = Modifier.heightIn(min = TouchTarget)) { Text("確認方法を変える") }
            }
            is VisitScreen.WrongCard -> {
                Text(s.message, style = MaterialTheme.typography.titleMedium)
                Button(onClick = visit::holdAnotherCard, modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget)) { Text("別のカードを当てる") }
            }
            is VisitScreen.ConfirmNewCard -> {
                Text(s.message, style = MaterialTheme.typography.titleMedium)
                Button(onClick = visit::confirmNewCard, modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget)) { Text("再発行されたカードであることを確認した") }
                OutlinedButton(onClick = visit::holdAnotherCard, modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget)) { Text("別のカードを当てる") }
            }
            is VisitScreen.ComparePhoto -> PhotoCompare(visit, s)
            is VisitScreen.Consent -> ConsentForm(s) { all, cats, rx -> scope.launch { visit.giveConsent(all, cats, rx) } }
            is VisitScreen.Refused -> {
                Text(s.message, style = MaterialTheme.typography.titleMedium)
                Button(onClick = { app.showReception(visit.patientId) }, modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget)) { Text("受付ガイドを見る") }
            }
            is VisitScreen.Done -> {
                Text("確認が終わりました", style = MaterialTheme.typography.headlineSmall)
                Text(s.term.description)
                Text(s.delivery.text)
                s.deliveryNote?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
                Button(onClick = { scope.launch { app.finishVisit() } }, modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget)) { Text("訪問一覧に戻る") }
            }
            is VisitScreen.Cancelled -> Button(onClick = { scope.launch { app.finishVisit() } }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("訪問一覧に戻る") }
        }
        if (screen !is VisitScreen.Done && screen !is VisitScreen.Cancelled) {
            OutlinedButton(onClick = app::backToRound, modifier = Modifier.heightIn(min = TouchTarget)) { Text("この訪問をやめる") }
        }
    }
}

/**
 * A masked keypad. The digits live in a `CharArray` (never a String in
 * Compose state) and are wiped by the controller on submit.
 */
@Composable
private fun SecretPad(title: String, length: Int, triesLeft: Int?, warning: String?, submit: (CharArray) -> Unit) {
    val digits = remember { CharArray(length) }
    var count by remember { mutableStateOf(0) }
    Text(title, style = MaterialTheme.typography.titleMedium)
    triesLeft?.let { Text("残り $it 回") }
    warning?.let { Text(it, color = MaterialTheme.colorScheme.error) }
    Text("●".repeat(count) + "○".repeat(length - count), style = MaterialTheme.typography.headlineMedium, modifier = Modifier.semantics { contentDescription = "$count 桁入力済み" })
    listOf("123", "456", "789", "<0>").forEach { row ->
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            row.forEach { key ->
                OutlinedButton(
                    onClick = {
                        when (key) {
                            '<' -> if (count > 0) { count--; digits[count] = '\u0000' }
                            '>' -> if (count == length) { submit(digits); count = 0 }
                            else -> if (count < length) { digits[count] = key; count++ }
                        }
                    },
                    modifier = Modifier.size(TouchTarget + 24.dp).semantics {
                        contentDescription = when (key) { '<' -> "1文字消す"; '>' -> "決定"; else -> "$key" }
                    },
                ) { Text(when (key) { '<' -> "⌫"; '>' -> "決定"; else -> "$key" }) }
            }
        }
    }
}

@Composable
private fun PhotoCompare(visit: VisitController, s: VisitScreen.ComparePhoto) {
    val bitmap = remember(s.png) { BitmapFactory.decodeByteArray(s.png, 0, s.png.size)?.asImageBitmap() }
    var reason by remember { mutableStateOf<VisualReason?>(null) }
    var note by remember { mutableStateOf("") }
    bitmap?.let { Image(it, contentDescription = "ICチップの顔写真", modifier = Modifier.size(240.dp)) }
    Text(s.note)
    Text("暗証番号を使わない理由", style = MaterialTheme.typography.titleSmall)
    s.reasons.forEach { (r, label) ->
        Row(Modifier.fillMaxWidth().heightIn(min = TouchTarget).selectable(selected = reason == r, onClick = { reason = r })) {
            RadioButton(selected = reason == r, onClick = { reason = r })
            Text(label)
        }
    }
    OutlinedTextField(note, { note = it }, label = { Text("メモ(「その他」のときは必須)") }, modifier = Modifier.fillMaxWidth())
    Button(onClick = { reason?.let { visit.photoMatches(it, note) } }, enabled = reason != null, modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget)) { Text("本人と確認した") }
    OutlinedButton(onClick = visit::photoDoesNotMatch, modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget)) { Text("本人と確認できない") }
}

@Composable
private fun ConsentForm(s: VisitScreen.Consent, give: (Boolean, List<ConsentCategory>, Prescription) -> Unit) {
    var comprehensive by remember { mutableStateOf(true) }
    val chosen = remember { mutableStateListOf<ConsentCategory>() }
    var rx by remember { mutableStateOf(Prescription.ELECTRONIC) }
    Text(if (s.mode == IdentityMode.PIN) "暗証番号で本人確認しました" else "目視で本人確認しました", style = MaterialTheme.typography.titleMedium)
    Text("情報提供の同意", style = MaterialTheme.typography.titleSmall)
    Row { Text("包括同意(すべての情報)"); Switch(comprehensive, { comprehensive = it }) }
    if (!comprehensive) {
        s.categories.forEach { (c, label) ->
            Row(Modifier.heightIn(min = TouchTarget)) {
                Checkbox(c in chosen, { on -> if (on) chosen += c else chosen -= c })
                Text(label)
            }
        }
    }
    Text("処方箋", style = MaterialTheme.typography.titleSmall)
    s.prescriptions.forEach { (p, label) ->
        Row(Modifier.heightIn(min = TouchTarget).selectable(selected = rx == p, onClick = { rx = p })) {
            RadioButton(rx == p, { rx = p })
            Text(label)
        }
    }
    Text(s.term.description, style = MaterialTheme.typography.bodyMedium)
    Button(onClick = { give(comprehensive, chosen.toList(), rx) }, modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget)) { Text("同意を記録する") }
}
