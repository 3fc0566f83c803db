// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.nfc.TagLostException
import android.nfc.tech.IsoDep
import jp.houmon.app.logic.RawTag
import jp.houmon.app.logic.TagGone
import jp.houmon.app.logic.TagTransport

/**
 * `IsoDep` as the app logic's [RawTag]. `TagLostException` becomes
 * [TagGone] here, before any other `IOException` is looked at, so the core
 * hears "tag lost" (hold the card again) rather than a generic I/O error.
 * Every call blocks: [TagTransport] runs it on `Dispatchers.IO`.
 */
class IsoDepTag(private val isoDep: IsoDep) : RawTag {
    override val extendedLengthSupported: Boolean
        get() = isoDep.isExtendedLengthApduSupported

    override val maxTransceiveLength: Int
        get() = isoDep.maxTransceiveLength

    override var timeoutMillis: Int
        get() = isoDep.timeout
        set(value) {
            isoDep.timeout = value
        }

    override fun transceive(apdu: ByteArray): ByteArray {
        if (!isoDep.isConnected) {
            try {
                isoDep.connect()
            } catch (e: TagLostException) {
                throw TagGone(e.message)
            }
        }
        return try {
            isoDep.transceive(apdu)
        } catch (e: TagLostException) {
            throw TagGone(e.message)
        }
    }

    fun close() {
        runCatching { isoDep.close() }
    }

    companion object {
        /** Connects and sets the ordinary time-out; `null` if the tag is not ISO-DEP. */
        fun open(tag: android.nfc.Tag): IsoDepTag? {
            val isoDep = IsoDep.get(tag) ?: return null
            return try {
                isoDep.connect()
                isoDep.timeout = TagTransport.DEFAULT_TIMEOUT_MS
                IsoDepTag(isoDep)
            } catch (e: java.io.IOException) {
                null
            }
        }
    }
}
