// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import android.content.IntentFilter
import android.nfc.NfcAdapter
import android.os.Build
import android.provider.Settings
import jp.houmon.core.NfcState

/**
 * NFC on, off or missing, reported to the core when it changes (the
 * adapter's state broadcast, and again whenever an activity resumes: the
 * NFC settings panel may have been used meanwhile). The core draws the
 * NFC-off line and the button to the settings ([settingsIntent]).
 */
class NfcWatch(private val context: Context, private val onChange: (NfcState) -> Unit) {
    private var last: NfcState? = null

    private val receiver = object : BroadcastReceiver() {
        override fun onReceive(context: Context, intent: Intent) = report()
    }

    fun start() {
        val filter = IntentFilter(NfcAdapter.ACTION_ADAPTER_STATE_CHANGED)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
            context.registerReceiver(receiver, filter, Context.RECEIVER_NOT_EXPORTED)
        } else {
            context.registerReceiver(receiver, filter)
        }
        report()
    }

    @Synchronized
    fun report() {
        val now = state(context)
        if (now == last) return
        last = now
        onChange(now)
    }

    companion object {
        fun state(context: Context): NfcState {
            val adapter = NfcAdapter.getDefaultAdapter(context) ?: return NfcState.UNSUPPORTED
            return if (adapter.isEnabled) NfcState.ON else NfcState.OFF
        }

        /** The NFC switch: the in-app panel (Android 10+, which minSdk 29 is), else the settings page. */
        fun settingsIntent(): Intent = Intent(Settings.Panel.ACTION_NFC)
    }
}
