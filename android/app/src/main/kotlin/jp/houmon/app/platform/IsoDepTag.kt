// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.nfc.Tag
import android.nfc.TagLostException
import android.nfc.tech.IsoDep
import java.io.IOException
import jp.houmon.app.shell.RawTag
import jp.houmon.app.shell.TagGone
import jp.houmon.app.shell.TagTransport

/**
 * `IsoDep` as the shell's [RawTag]: connected once, when the tag is
 * discovered ([open]); nothing checks `isConnected` or reconnects before
 * an APDU (each would be a binder call, and a reconnect to a stale tag
 * reads as an I/O error instead of "the card left"). The card leaving
 * (`TagLostException`), a tag that is out of date (`SecurityException`)
 * or already closed (`IllegalStateException`) all become [TagGone];
 * [TagTransport] maps the rest. Every call blocks: [TagTransport] runs it
 * off the main thread.
 */
class IsoDepTag internal constructor(
    private val isoDep: IsoDep,
    /** `isoDep.transceive` (the Robolectric tests give what a phone throws). */
    private val exchange: (ByteArray) -> ByteArray,
) : RawTag {
    constructor(isoDep: IsoDep) : this(isoDep, isoDep::transceive)

    override val extendedLengthSupported: Boolean
        get() = isoDep.isExtendedLengthApduSupported

    override val maxTransceiveLength: Int
        get() = isoDep.maxTransceiveLength

    override var timeoutMillis: Int
        get() = isoDep.timeout
        set(value) {
            isoDep.timeout = value
        }

    override fun transceive(apdu: ByteArray): ByteArray = try {
        exchange(apdu)
    } catch (e: TagLostException) {
        throw TagGone(e.message)
    } catch (e: SecurityException) {
        throw TagGone("tag out of date")
    } catch (e: IllegalStateException) {
        throw TagGone("tag closed")
    }

    override fun close() {
        runCatching { isoDep.close() }
    }

    companion object {
        /** Connects and sets the ordinary time-out; `null` if the tag is not ISO-DEP or left already. */
        fun open(tag: Tag): IsoDepTag? {
            val isoDep = IsoDep.get(tag) ?: return null
            return try {
                isoDep.connect()
                isoDep.timeout = TagTransport.DEFAULT_TIMEOUT_MS
                IsoDepTag(isoDep)
            } catch (e: IOException) {
                null
            } catch (e: SecurityException) {
                null
            }
        }
    }
}
