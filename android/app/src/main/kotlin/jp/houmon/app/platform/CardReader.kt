// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.app.Activity
import android.nfc.NfcAdapter
import android.nfc.Tag
import android.os.Bundle
import jp.houmon.app.logic.TagTransport

/**
 * NFC reader mode, on only while the visit screen asks for the card
 * ("hold the card"). Type B (the マイナンバーカード) and Type A, no NDEF
 * check (the card has no NDEF and the check costs time), no platform sound
 * (the app gives its own feedback when the read ends, not when it begins),
 * and a presence-check delay long enough that the stack does not poll a
 * card held still between APDUs.
 *
 * `onCard` runs on a binder thread; it gets a transport ready for the core.
 */
class CardReader(
    private val activity: Activity,
    private val cautious: () -> Boolean,
    private val onCard: (TagTransport, IsoDepTag) -> Unit,
) {
    private val adapter: NfcAdapter? = NfcAdapter.getDefaultAdapter(activity)
    private var on = false

    val available: Boolean get() = adapter != null
    val enabled: Boolean get() = adapter?.isEnabled == true

    fun enable() {
        val a = adapter ?: return
        if (on) return
        val extras = Bundle().apply { putInt(NfcAdapter.EXTRA_READER_PRESENCE_CHECK_DELAY, PRESENCE_CHECK_MS) }
        a.enableReaderMode(activity, ::discovered, FLAGS, extras)
        on = true
    }

    fun disable() {
        val a = adapter ?: return
        if (!on) return
        a.disableReaderMode(activity)
        on = false
    }

    private fun discovered(tag: Tag) {
        val isoDep = IsoDepTag.open(tag) ?: return
        onCard(TagTransport(isoDep, cautious()), isoDep)
    }

    companion object {
        const val FLAGS = NfcAdapter.FLAG_READER_NFC_B or
            NfcAdapter.FLAG_READER_NFC_A or
            NfcAdapter.FLAG_READER_SKIP_NDEF_CHECK or
            NfcAdapter.FLAG_READER_NO_PLATFORM_SOUNDS

        /** Milliseconds between the stack's presence checks while no APDU runs. */
        const val PRESENCE_CHECK_MS = 2_000
    }
}
