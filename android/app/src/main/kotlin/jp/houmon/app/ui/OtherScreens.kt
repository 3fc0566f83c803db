// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.ui

import android.Manifest
import android.content.pm.PackageManager
import android.graphics.SurfaceTexture
import android.os.Build
import android.view.Surface
import android.view.TextureView
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.unit.dp
import androidx.compose.ui.viewinterop.AndroidView
import kotlinx.coroutines.launch
import jp.houmon.app.logic.AppController
import jp.houmon.app.platform.QrScanner
import jp.houmon.core.ReceptionStep
import jp.houmon.core.StepResult

object Settings {
    const val CAUTIOUS_NFC = "cautious_nfc"
}

@Composable
fun Starting() {
    Column(Modifier.fillMaxSize().padding(24.dp)) { Text("起動しています…") }
}

/** Enrolment: scan the clinic's QR code (or paste its text). */
@Composable
fun EnrolScreen(app: AppController) {
    val context = LocalContext.current
    val state by app.enrolment.screen.collectAsState()
    val scope = rememberCoroutineScope()
    var text by remember { mutableStateOf("") }
    var name by remember { mutableStateOf(Build.MODEL ?: "Android") }
    var camera by remember {
        mutableStateOf(context.checkSelfPermission(Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED)
    }
    val ask = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { camera = it }
    Column(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Text("クリニックへの登録", style = MaterialTheme.typography.headlineSmall)
        Text("管理者が発行した登録用QRコードを読み取ってください(1回限り・数分で失効します)。")
        if (camera) {
            val scanner = remember { QrScanner(context) { scanned -> scope.launch { app.enrol(scanned, name) } } }
            DisposableEffect(Unit) { onDispose { scanner.release() } }
            AndroidView(
                factory = { ctx ->
                    TextureView(ctx).apply {
                        surfaceTextureListener = object : TextureView.SurfaceTextureListener {
                            override fun onSurfaceTextureAvailable(t: SurfaceTexture, w: Int, h: Int) = scanner.start(Surface(t))
                            override fun onSurfaceTextureSizeChanged(t: SurfaceTexture, w: Int, h: Int) {}
                            override fun onSurfaceTextureDestroyed(t: SurfaceTexture): Boolean { scanner.stop(); return true }
                            override fun onSurfaceTextureUpdated(t: SurfaceTexture) {}
                        }
                    }
                },
                modifier = Modifier.fillMaxWidth().height(280.dp),
            )
        } else {
            Button(onClick = { ask.launch(Manifest.permission.CAMERA) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("カメラで読み取る") }
        }
        OutlinedTextField(name, { name = it }, label = { Text("この端末の名前") }, modifier = Modifier.fillMaxWidth())
        OutlinedTextField(text, { text = it }, label = { Text("QRコードの文字列を貼り付け") }, modifier = Modifier.fillMaxWidth())
        Button(onClick = { scope.launch { app.enrol(text, name) } }, enabled = !state.busy && text.isNotBlank(), modifier = Modifier.heightIn(min = TouchTarget)) { Text("登録する") }
        state.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
    }
}

/** Records not yet accepted: pending, and refused ones with the clinic's reason. */
@Composable
fun QueueScreen(app: AppController) {
    val q by app.queue.screen.collectAsState()
    val scope = rememberCoroutineScope()
    var discarding by remember { mutableStateOf<String?>(null) }
    LaunchedEffect(Unit) { app.queue.load() }
    Column(Modifier.fillMaxSize().padding(16.dp)) {
        Text("未送信の記録", style = MaterialTheme.typography.headlineSmall)
        q.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        LazyColumn(Modifier.weight(1f)) {
            items(q.wedged, key = { it.id }) { row ->
                Card(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
                    Column(Modifier.padding(12.dp)) {
                        Text("要確認: ${row.created}", style = MaterialTheme.typography.titleSmall)
                        row.reason?.let { Text(it) }
                        Row {
                            TextButton(onClick = { scope.launch { app.queue.retry(row.id) } }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("再送する") }
                            TextButton(onClick = { discarding = row.id }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("破棄する") }
                        }
                    }
                }
            }
            items(q.pending, key = { it.id }) { row ->
                Text("送信待ち: ${row.created}(${row.attempts}回試行)", modifier = Modifier.padding(vertical = 8.dp))
            }
        }
        OutlinedButton(onClick = app::backToRound, modifier = Modifier.heightIn(min = TouchTarget)) { Text("戻る") }
    }
    discarding?.let { id ->
        AlertDialog(
            onDismissRequest = { discarding = null },
            title = { Text("記録を破棄しますか") },
            text = { Text("この記録はこの端末から削除され、クリニックには届きません。") },
            confirmButton = { TextButton(onClick = { scope.launch { app.queue.discard(id) }; discarding = null }) { Text("破棄する") } },
            dismissButton = { TextButton(onClick = { discarding = null }) { Text("やめる") } },
        )
    }
}

/**
 * What to try first, then what to charge, when the card cannot be used
 * (the core's dated rules). Staff mark each step as they try it; the
 * answer changes with it.
 */
@Composable
fun ReceptionScreen(app: AppController, patientId: String?) {
    val controller = app.reception ?: return
    val state by controller.screen.collectAsState()
    Column(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text("受付ガイド", style = MaterialTheme.typography.headlineSmall)
        state.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        state.guidance?.let { g ->
            Text(g.headline, style = MaterialTheme.typography.titleMedium)
            g.nextChecks.forEachIndexed { i, step -> Text("${i + 1}. $step") }
            Text("負担: ${g.shareText}", style = MaterialTheme.typography.titleSmall)
            g.warnings.forEach { w -> Text((if (w.uncertain) "要確認: " else "") + w.text, color = MaterialTheme.colorScheme.error) }
        }
        Text("試した手順", style = MaterialTheme.typography.titleSmall)
        listOf(
            ReceptionStep.VISUAL_CHECK to "目視確認",
            ReceptionStep.ASK_CARD to "マイナ保険証",
            ReceptionStep.FAMILY_BRINGS_DOCUMENT to "家族が書類を届ける",
            ReceptionStep.PHONE_INSURER to "保険者に電話",
        ).forEach { (step, label) ->
            Row(horizontalArrangement = Arrangement.spacedBy(4.dp)) {
                Text(label, Modifier.weight(1f))
                TextButton(onClick = { controller.record(step, StepResult.CONFIRMED) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("確認できた") }
                TextButton(onClick = { controller.record(step, StepResult.FAILED) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("できなかった") }
                TextButton(onClick = { controller.record(step, StepResult.PENDING) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("対応中") }
            }
        }
        OutlinedButton(onClick = app::backToRound, modifier = Modifier.heightIn(min = TouchTarget)) { Text("戻る") }
    }
}

@Composable
fun Settings(app: AppController) {
    val context = LocalContext.current
    val prefs = remember { context.getSharedPreferences("houmon", android.content.Context.MODE_PRIVATE) }
    var cautious by remember { mutableStateOf(prefs.getBoolean(Settings.CAUTIOUS_NFC, false)) }
    val e = app.core.enrolment()
    Column(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text("設定", style = MaterialTheme.typography.headlineSmall)
        Text("クリニック: ${e?.serverUrl ?: "未登録"}")
        Text("職員: ${e?.staffId ?: "-"} / 端末: ${e?.deviceId ?: "-"}")
        Row {
            Text("慎重な読み取り(カードの読み取りが途中で止まる端末向け)", Modifier.weight(1f))
            Switch(cautious, { cautious = it; prefs.edit().putBoolean(Settings.CAUTIOUS_NFC, it).apply() })
        }
        OutlinedButton(onClick = app::backToRound, modifier = Modifier.heightIn(min = TouchTarget)) { Text("戻る") }
    }
}
