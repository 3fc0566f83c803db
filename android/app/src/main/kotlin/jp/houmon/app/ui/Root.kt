// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.WindowInsets
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.safeDrawing
import androidx.compose.foundation.layout.widthIn
import androidx.compose.foundation.layout.windowInsetsPadding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import jp.houmon.core.AppEvent
import jp.houmon.core.AppView
import jp.houmon.core.NoticeKind
import jp.houmon.core.Screen

/**
 * The whole screen from the core's [AppView]: the header, the NFC line,
 * the notice, the current screen and the confirmation; every control
 * sends an [AppEvent]. Inside the system bars, the cutout and the
 * keyboard (edge-to-edge), scrolling at any font scale, at most
 * [MaxContentWidth] wide.
 */
@Composable
fun Root(view: AppView, loadFailure: String?, announcement: String?, send: (AppEvent) -> Unit) {
    Box(Modifier.fillMaxSize().windowInsetsPadding(WindowInsets.safeDrawing).imePadding(), contentAlignment = Alignment.TopCenter) {
        Column(
            Modifier.widthIn(max = MaxContentWidth).fillMaxWidth().verticalScroll(rememberScrollState()).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            if (loadFailure != null) {
                Text(loadFailure, style = MaterialTheme.typography.titleMedium, color = MaterialTheme.colorScheme.error, modifier = Modifier.live(assertive = true))
                return@Column
            }
            HeaderBlock(view)
            view.nfc.message?.let { line ->
                Text(line, color = MaterialTheme.colorScheme.error, modifier = Modifier.live(assertive = false))
                if (view.nfc.offerSettings) {
                    Button(onClick = { send(AppEvent.OpenNfcSettings) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("NFCの設定を開く") }
                }
            }
            view.notice?.let { n ->
                Text(
                    n.text,
                    color = if (n.kind == NoticeKind.TROUBLE) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onBackground,
                    style = MaterialTheme.typography.bodyLarge,
                    modifier = Modifier.live(assertive = n.kind == NoticeKind.TROUBLE),
                )
            }
            // What the core asked TalkBack to say, when it is not the notice above.
            announcement?.let { Text(it, style = MaterialTheme.typography.bodyMedium, modifier = Modifier.live(assertive = false)) }
            when (val s = view.screen) {
                Screen.Opening -> Opening()
                is Screen.Recovery -> RecoveryScreen(s.recovery, send)
                is Screen.Enrol -> EnrolScreen(s.enrol, send)
                is Screen.SignIn -> SignInScreen(s.signIn, send)
                is Screen.Round -> RoundScreen(s.round, view.header, send)
                is Screen.Visit -> VisitScreenView(s.visit, send)
                is Screen.Reception -> ReceptionScreen(s.reception, send)
                is Screen.Queue -> QueueScreen(s.queue, send)
                is Screen.Settings -> SettingsScreen(s.settings, send)
            }
            if (view.canGoBack) {
                OutlinedButton(onClick = { send(AppEvent.Back) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("戻る") }
            }
        }
    }
    view.confirmation?.let { c ->
        AlertDialog(
            onDismissRequest = { send(AppEvent.Dismiss) },
            title = { Text(c.title) },
            text = { Text(c.message) },
            confirmButton = {
                TextButton(
                    onClick = { send(AppEvent.Confirm) },
                    colors = if (c.destructive) ButtonDefaults.textButtonColors(contentColor = MaterialTheme.colorScheme.error) else ButtonDefaults.textButtonColors(),
                ) { Text(c.confirmLabel) }
            },
            dismissButton = { TextButton(onClick = { send(AppEvent.Dismiss) }) { Text(c.dismissLabel) } },
        )
    }
}

@Composable
private fun HeaderBlock(view: AppView) {
    val h = view.header
    Text(h.title, style = MaterialTheme.typography.headlineSmall, modifier = Modifier.semantics { heading() })
    h.staffLine?.let { Text(it, style = MaterialTheme.typography.bodyMedium) }
    if (h.syncLine.isNotEmpty()) Text(h.syncLine, style = MaterialTheme.typography.bodyMedium, modifier = Modifier.live(assertive = false))
    h.blocked?.let { Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.live(assertive = true)) }
}

@Composable
fun Opening() {
    Column(Modifier.fillMaxSize().padding(24.dp)) { Text("起動しています…") }
}

/** Announced by TalkBack when it changes (politely, or at once for trouble). */
fun Modifier.live(assertive: Boolean): Modifier =
    semantics { liveRegion = if (assertive) LiveRegionMode.Assertive else LiveRegionMode.Polite }

/** A row of buttons that wraps at large font sizes instead of clipping. */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun Buttons(content: @Composable () -> Unit) {
    FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) { content() }
}

@Composable
fun Action(label: String, enabled: Boolean = true, primary: Boolean = true, onClick: () -> Unit) {
    if (primary) {
        Button(onClick = onClick, enabled = enabled, modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget)) { Text(label) }
    } else {
        OutlinedButton(onClick = onClick, enabled = enabled, modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget)) { Text(label) }
    }
}
