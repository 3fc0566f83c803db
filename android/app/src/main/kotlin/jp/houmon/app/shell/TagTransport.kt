// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.shell

import java.io.IOException
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async
import jp.houmon.core.CardTransport
import jp.houmon.core.TransportFailure
import jp.houmon.core.TransportLimits

/**
 * What the app needs of an ISO-DEP tag: Android's `IsoDep` behind
 * `platform/IsoDepTag.kt`, a simulated one in the JVM tests. Blocking, as
 * `IsoDep.transceive` is. The tag is connected once, when it is
 * discovered; nothing reconnects it.
 */
interface RawTag {
    /** `IsoDep.isExtendedLengthApduSupported()` */
    val extendedLengthSupported: Boolean

    /** `IsoDep.maxTransceiveLength` */
    val maxTransceiveLength: Int

    /** `IsoDep.timeout`, in milliseconds. */
    var timeoutMillis: Int

    /**
     * Throws [TagGone] when the card left the field or the tag is no longer
     * usable, another [IOException] otherwise.
     */
    fun transceive(apdu: ByteArray): ByteArray

    /** `IsoDep.close()`: also makes a `transceive` in flight give up. */
    fun close()
}

/** The card is gone (`TagLostException`, a stale or closed tag), told apart from other I/O errors. */
class TagGone(message: String? = null) : IOException(message)

/**
 * The core's [CardTransport] over a [RawTag]: every exchange off the main
 * thread; the time-out raised around the card's signature (an RSA-2048
 * signature takes the card up to a few seconds) and restored after; the
 * tag's own limits given to the core, which plans its reads within them.
 *
 * Errors as Android gives them: `TagLostException` is the card leaving;
 * so is the bare `IOException("Transceive failed")` many phones throw when
 * the card is pulled away, unless the exchange ran for the whole time-out
 * (then it is a time-out: the card was too slow); a command longer than
 * the tag takes is a plain I/O error.
 *
 * A cancelled exchange (the core stopped the read) closes the tag, so the
 * blocking `transceive` does not hold the cancellation for seconds.
 */
class TagTransport(
    private val tag: RawTag,
    io: CoroutineDispatcher = Dispatchers.IO,
    private val clock: () -> Long = System::nanoTime,
) : CardTransport {
    private val exchanges = CoroutineScope(SupervisorJob() + io)

    override fun limits(): TransportLimits = limitsOf(tag.extendedLengthSupported, tag.maxTransceiveLength)

    override suspend fun transceive(apdu: ByteArray): ByteArray {
        val signing = isSignature(apdu)
        val before = tag.timeoutMillis
        val limit = if (signing) maxOf(before, SIGNATURE_TIMEOUT_MS) else before
        val started = clock()
        val exchange = exchanges.async {
            if (signing) tag.timeoutMillis = limit
            try {
                tag.transceive(apdu)
            } finally {
                if (signing) runCatching { tag.timeoutMillis = before }
            }
        }
        try {
            return exchange.await()
        } catch (e: CancellationException) {
            tag.close()
            throw e
        } catch (e: TagGone) {
            throw TransportFailure.TagLost()
        } catch (e: IOException) {
            val text = e.message.orEmpty()
            val ms = (clock() - started) / 1_000_000
            throw when {
                text.contains("exceeds", ignoreCase = true) -> TransportFailure.Io("IOException: " + text.take(120))
                ms >= limit - TIMEOUT_SLACK_MS -> TransportFailure.Timeout()
                else -> TransportFailure.TagLost()
            }
        }
    }

    companion object {
        /** How long the card may take to sign. */
        const val SIGNATURE_TIMEOUT_MS = 5_000

        /** The ordinary per-APDU time-out the app sets when a tag is discovered. */
        const val DEFAULT_TIMEOUT_MS = 1_500

        /** An exchange that failed this close to its time-out timed out. */
        const val TIMEOUT_SLACK_MS = 100

        /** The shortest command a short-APDU reader carries (header, 255 bytes of data, Le). */
        private const val SHORT_COMMAND = 261

        /** A short APDU's answer: 256 bytes and the status word. */
        private const val SHORT_RESPONSE = 258

        /** An extended one's: 65,536 bytes and the status word. */
        private const val EXTENDED_RESPONSE = 65_538

        /**
         * The core's limits for a reader: commands up to what the tag says it
         * takes (a phone that reports nothing gets a short APDU's); answers up
         * to what extended length allows. Careful reading (smaller answers)
         * is the core's setting.
         */
        fun limitsOf(extended: Boolean, maxTransceive: Int): TransportLimits {
            val maxCommand = if (maxTransceive > 0) maxTransceive else SHORT_COMMAND
            return TransportLimits(extended, maxCommand.toUInt(), (if (extended) EXTENDED_RESPONSE else SHORT_RESPONSE).toUInt())
        }

        /** PERFORM SECURITY OPERATION: COMPUTE DIGITAL SIGNATURE (CLA 80, INS 2A). */
        fun isSignature(apdu: ByteArray): Boolean =
            apdu.size >= 4 && apdu[0] == 0x80.toByte() && apdu[1] == 0x2A.toByte()
    }
}
