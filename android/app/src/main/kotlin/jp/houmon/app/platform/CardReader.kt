// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.app.Activity
import android.nfc.NfcAdapter
import android.nfc.Tag
import android.os.Bundle
import jp.houmon.app.shell.TagTransport
import jp.houmon.core.CardTransport
import jp.houmon.core.TapAnswer

/**
 * NFC reader mode, on while the activity is resumed and the core's view
 * says a visit is open (`AppView.readerMode`: the whole visit, not only
 * "hold the card", so a card tapped early or still on the phone after the
 * read never reaches Android's own tag dispatch — no platform beep, no
 * "no app for this tag", no other NFC app brought to the front). Off in
 * `onPause` and when the visit ends.
 *
 * Type B (the マイナンバーカード) and Type A, no NDEF check (the card has
 * none and it costs time), no platform sound (the app's own [Feedback]
 * says when the read ends), and a presence check slow enough not to poll
 * a card held still between APDUs.
 *
 * Every tag goes to the core ([tapped]): it reads it if the visit waits
 * for a card, and otherwise answers 「まだカードは不要です」 (and the tag is
 * closed at once). The tag being read is closed when the next one comes or
 * when [readEnded] says the read is over.
 */
class CardReader(
    private val activity: Activity,
    private val tapped: (CardTransport) -> TapAnswer,
) {
    private val adapter: NfcAdapter? = NfcAdapter.getDefaultAdapter(activity)
    private var on = false
    private var resumed = false
    private var wanted = false
    @Volatile private var current: IsoDepTag? = null

    /** Reader mode is on now (for the tests and the activity). */
    val isOn: Boolean get() = on

    fun onResume() {
        resumed = true
        apply()
    }

    fun onPause() {
        resumed = false
        apply()
    }

    /** The core's `readerMode` for the view now drawn. */
    fun want(readerMode: Boolean) {
        wanted = readerMode
        apply()
    }

    /** The read finished (the core's read-finished feedback): let the tag go. */
    fun readEnded() {
        current?.close()
        current = null
    }

    private fun apply() {
        val a = adapter ?: return
        val should = resumed && wanted
        if (should == on) return
        if (should) {
            val extras = Bundle().apply { putInt(NfcAdapter.EXTRA_READER_PRESENCE_CHECK_DELAY, PRESENCE_CHECK_MS) }
            a.enableReaderMode(activity, ::discovered, FLAGS, extras)
        } else {
            a.disableReaderMode(activity)
            readEnded()
        }
        on = should
    }

    /** On a binder thread: hand the card to the core (which never blocks here). */
    internal fun discovered(tag: Tag) {
        val isoDep = IsoDepTag.open(tag) ?: return
        val before = current
        current = isoDep
        if (before != null && before !== isoDep) before.close()
        if (tapped(TagTransport(isoDep)) is TapAnswer.NotNow) {
            isoDep.close()
            if (current === isoDep) current = null
        }
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
