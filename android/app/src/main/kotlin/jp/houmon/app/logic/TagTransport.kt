// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.logic

import java.io.IOException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import jp.houmon.core.CardTransport
import jp.houmon.core.TransportFailure
import jp.houmon.core.TransportLimits

/**
 * What the app needs of an ISO-DEP tag: Android's `IsoDep` behind
 * `platform/IsoDepTag.kt`, a simulated one in the JVM tests. Blocking, as
 * `IsoDep.transceive` is.
 */
interface RawTag {
    /** `IsoDep.isExtendedLengthApduSupported()` */
    val extendedLengthSupported: Boolean

    /** `IsoDep.maxTransceiveLength` */
    val maxTransceiveLength: Int

    /** `IsoDep.timeout`, in milliseconds. */
    var timeoutMillis: Int

    /** Throws [TagGone] when the card left the field, another [IOException] otherwise. */
    fun transceive(apdu: ByteArray): ByteArray
}

/** The platform's "tag lost" (`android.nfc.TagLostException`), told apart from other I/O errors. */
class TagGone(message: String? = null) : IOException(message)

/**
 * The core's [CardTransport] over a [RawTag]: every exchange off the main
 * thread, the time-out raised around the card's signature (an RSA-2048
 * signature takes the card up to a few seconds) and restored after, the
 * tag's limits given to the core so that it plans its reads within them,
 * and a lost tag reported as such before any other I/O error.
 */
class TagTransport(
    private val tag: RawTag,
    private val cautious: Boolean = false,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) : CardTransport {

    override fun limits(): TransportLimits = limitsOf(tag.extendedLengthSupported, tag.maxTransceiveLength, cautious)

    override suspend fun transceive(apdu: ByteArray): ByteArray = withContext(io) {
        val signing = isSignature(apdu)
        val before = tag.timeoutMillis
        if (signing) tag.timeoutMillis = maxOf(before, SIGNATURE_TIMEOUT_MS)
        try {
            tag.transceive(apdu)
        } catch (e: TagGone) {
            throw TransportFailure.TagLost()
        } catch (e: IOException) {
            val text = e.message.orEmpty()
            if (text.contains("timeout", ignoreCase = true) || text.contains("timed out", ignoreCase = true)) {
                throw TransportFailure.Timeout()
            }
            throw TransportFailure.Io(e.javaClass.simpleName + ": " + text.take(120))
        } finally {
            if (signing) tag.timeoutMillis = before
        }
    }

    companion object {
        /** How long the card may take to sign. */
        const val SIGNATURE_TIMEOUT_MS = 5_000

        /** The ordinary per-APDU time-out the app sets when a tag is discovered. */
        const val DEFAULT_TIMEOUT_MS = 1_500

        /** A short APDU's answer: 256 bytes and the status word. */
        private const val SHORT_RESPONSE = 258

        /** An extended one's: 65,536 bytes and the status word. */
        private const val EXTENDED_RESPONSE = 65_538

        /**
         * The core's limits for a reader: commands up to what the tag
         * takes; answers up to what extended length allows, or 1 KB when
         * the staff chose careful reading (phones that drop the tag on
         * long answers).
         */
        fun limitsOf(extended: Boolean, maxTransceive: Int, cautious: Boolean): TransportLimits {
            val maxCommand = maxTransceive.coerceAtLeast(261)
            val response = when {
                cautious -> 1024
                extended -> EXTENDED_RESPONSE
                else -> SHORT_RESPONSE
            }
            return TransportLimits(extended, maxCommand.toUInt(), response.toUInt())
        }

        /** PERFORM SECURITY OPERATION: COMPUTE DIGITAL SIGNATURE (CLA 80, INS 2A). */
        fun isSignature(apdu: ByteArray): Boolean =
            apdu.size >= 4 && apdu[0] == 0x80.toByte() && apdu[1] == 0x2A.toByte()
    }
}
