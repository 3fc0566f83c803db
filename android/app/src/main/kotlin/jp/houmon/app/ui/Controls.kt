// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.ui

import android.Manifest
import android.content.pm.PackageManager
import android.graphics.SurfaceTexture
import android.view.Surface
import android.view.TextureView
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.size
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.semantics.clearAndSetSemantics
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.compose.ui.viewinterop.AndroidView
import jp.houmon.app.platform.QrScanner
import jp.houmon.app.shell.SecretDigits

/**
 * A masked keypad. The digits live in a [SecretDigits] `CharArray`, never
 * in Compose state (only how many are typed is), and are wiped when sent
 * and on every other way off the pad: the pad leaving the composition
 * (back, cancel, another step, the activity recreated) runs `onDispose`.
 * TalkBack says 「N桁入力済み」 and 「数字キー」, never a digit.
 */
@Composable
fun SecretPad(title: String, min: Int, max: Int, submitLabel: String = "決定", submit: (String) -> Unit) {
    val digits = remember(max) { SecretDigits(max) }
    var count by remember(max) { mutableIntStateOf(0) }
    DisposableEffect(digits) { onDispose { digits.wipe() } }
    Text(title, style = MaterialTheme.typography.titleMedium)
    Text(
        "●".repeat(count) + "○".repeat(max - count),
        style = MaterialTheme.typography.headlineMedium,
        modifier = Modifier.clearAndSetSemantics { contentDescription = "$count 桁入力済み" }.live(assertive = false),
    )
    listOf("123", "456", "789", "<0>").forEach { row ->
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            row.forEach { key ->
                val enabled = when (key) {
                    '<' -> count > 0
                    '>' -> count >= min
                    else -> count < max
                }
                OutlinedButton(
                    onClick = {
                        when (key) {
                            '<' -> digits.pop()
                            '>' -> if (digits.count >= min) submit(digits.take())
                            else -> digits.push(key)
                        }
                        count = digits.count
                    },
                    enabled = enabled,
                    modifier = Modifier.size(TouchTarget + 24.dp).clearAndSetSemantics {
                        contentDescription = when (key) { '<' -> "1文字消す"; '>' -> submitLabel; else -> "数字キー" }
                    },
                ) { Text(when (key) { '<' -> "⌫"; '>' -> submitLabel; else -> "$key" }) }
            }
        }
    }
}

/**
 * The clinic's QR code: the camera when allowed (scanning again each time
 * `attempt` changes, e.g. after a refused code), or its text pasted in.
 */
@Composable
fun QrInput(busy: Boolean, attempt: Any?, onText: (String) -> Unit) {
    val context = LocalContext.current
    var camera by remember {
        mutableStateOf(context.checkSelfPermission(Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED)
    }
    var text by remember { mutableStateOf("") }
    val ask = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { camera = it }
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        if (camera) {
            val scanner = remember { QrScanner(context) { scanned -> onText(scanned) } }
            var surface by remember { mutableStateOf<Surface?>(null) }
            DisposableEffect(scanner) { onDispose { scanner.release() } }
            DisposableEffect(attempt, surface) {
                surface?.let { scanner.start(it) }
                onDispose { scanner.stop() }
            }
            AndroidView(
                factory = { ctx ->
                    TextureView(ctx).apply {
                        surfaceTextureListener = object : TextureView.SurfaceTextureListener {
                            override fun onSurfaceTextureAvailable(t: SurfaceTexture, w: Int, h: Int) { surface = Surface(t) }
                            override fun onSurfaceTextureSizeChanged(t: SurfaceTexture, w: Int, h: Int) {}
                            override fun onSurfaceTextureDestroyed(t: SurfaceTexture): Boolean { surface = null; return true }
                            override fun onSurfaceTextureUpdated(t: SurfaceTexture) {}
                        }
                    }
                },
                modifier = Modifier.fillMaxWidth().height(280.dp).semantics { contentDescription = "QRコードを読み取るカメラ" },
            )
        } else {
            Button(onClick = { ask.launch(Manifest.permission.CAMERA) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("カメラで読み取る") }
        }
        OutlinedTextField(text, { text = it }, label = { Text("QRコードの文字列を貼り付け") }, modifier = Modifier.fillMaxWidth())
        Button(onClick = { onText(text) }, enabled = !busy && text.isNotBlank(), modifier = Modifier.heightIn(min = TouchTarget)) { Text("この文字列で登録する") }
    }
}
