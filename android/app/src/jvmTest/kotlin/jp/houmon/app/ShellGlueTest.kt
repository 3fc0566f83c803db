// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app

import java.io.IOException
import java.time.Instant
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import java.util.concurrent.atomic.AtomicLong
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import jp.houmon.app.shell.ManagedPolicy
import jp.houmon.app.shell.RawTag
import jp.houmon.app.shell.SecretDigits
import jp.houmon.app.shell.SyncTiming
import jp.houmon.app.shell.TagGone
import jp.houmon.app.shell.TagTransport
import jp.houmon.core.SignInPolicy
import jp.houmon.core.TransportFailure
import jp.houmon.core.defaultClinicPolicy
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test

/** The shell's plain-Kotlin glue: the tag transport's rules, the keypad buffer, the MDM policy, the job's delay. */
class ShellGlueTest {
    /** A tag that fails as told, after `takesMs` of (virtual) time. */
    private class Failing(val error: IOException, val takesMs: Long, val clock: AtomicLong) : RawTag {
        override val extendedLengthSupported = false
        override val maxTransceiveLength = 261
        override var timeoutMillis = TagTransport.DEFAULT_TIMEOUT_MS
        override fun transceive(apdu: ByteArray): ByteArray {
            clock.addAndGet(takesMs * 1_000_000)
            throw error
        }
        override fun close() {}
    }

    private fun failure(e: IOException, takesMs: Long = 5, apdu: ByteArray = byteArrayOf(0, 0xB0.toByte(), 0, 0, 0)): TransportFailure = runBlocking {
        val clock = AtomicLong()
        try {
            TagTransport(Failing(e, takesMs, clock), clock = clock::get).transceive(apdu)
            nope("no failure")
        } catch (f: TransportFailure) {
            f
        }
    }

    @Test
    fun `Android's tag-lost and transceive-failed errors are the card leaving, a full time-out is a time-out`() {
        assertTrue(failure(TagGone("Tag was lost.")) is TransportFailure.TagLost)
        // What many phones throw when the card is pulled away.
        assertTrue(failure(IOException("Transceive failed")) is TransportFailure.TagLost)
        // The same after the whole time-out: the card was too slow.
        assertTrue(failure(IOException("Transceive failed"), takesMs = TagTransport.DEFAULT_TIMEOUT_MS.toLong()) is TransportFailure.Timeout)
        // A signature gets its longer time-out before it counts as one.
        val sign = byteArrayOf(0x80.toByte(), 0x2A, 0, 0x80.toByte(), 0)
        assertTrue(failure(IOException("Transceive failed"), takesMs = 2_000, apdu = sign) is TransportFailure.TagLost)
        assertTrue(failure(IOException("Transceive failed"), takesMs = TagTransport.SIGNATURE_TIMEOUT_MS.toLong(), apdu = sign) is TransportFailure.Timeout)
        assertTrue(failure(IOException("Transceive length exceeds supported maximum")) is TransportFailure.Io)
    }

    @Test
    fun `the tag's reported limits reach the core as they are`() {
        val short = TagTransport.limitsOf(false, 253)
        assertEquals(Triple(false, 253u, 258u), Triple(short.extendedLength, short.maxCommand, short.maxResponse))
        assertEquals(65_538u, TagTransport.limitsOf(true, 65_279).maxResponse)
        assertEquals("nothing reported: a short APDU", 261u, TagTransport.limitsOf(false, 0).maxCommand)
    }

    @Test
    fun `a read the core cancels closes the tag at once instead of waiting out the APDU`() = runBlocking<Unit> {
        val started = CountDownLatch(1)
        val closed = AtomicInteger()
        val blocked = CountDownLatch(1)
        val tag = object : RawTag {
            override val extendedLengthSupported = true
            override val maxTransceiveLength = 65_279
            override var timeoutMillis = TagTransport.SIGNATURE_TIMEOUT_MS
            override fun transceive(apdu: ByteArray): ByteArray {
                started.countDown()
                blocked.await(10, TimeUnit.SECONDS) // IsoDep.transceive: not interruptible
                throw IOException("Transceive failed")
            }
            override fun close() {
                closed.incrementAndGet()
                blocked.countDown()
            }
        }
        val exchange = async(Dispatchers.Default) { TagTransport(tag).transceive(byteArrayOf(0, 0xB0.toByte(), 0, 0, 0)) }
        assertTrue(started.await(5, TimeUnit.SECONDS))
        val t0 = System.nanoTime()
        exchange.cancel()
        withTimeout(1_000) { exchange.join() }
        assertTrue("cancelled within 1 s", (System.nanoTime() - t0) / 1_000_000 < 1_000)
        assertEquals("the tag was closed", 1, closed.get())
    }

    @Test
    fun `the keypad buffer takes only digits up to its length and is wiped when sent or abandoned`() {
        val pad = SecretDigits(4)
        "12a345".forEach { pad.push(it) }
        assertEquals(4, pad.count)
        pad.pop()
        pad.push('9')
        assertEquals("1239", pad.take())
        assertTrue(pad.isWiped())
        "8642".forEach { pad.push(it) }
        pad.wipe() // back, cancel, another step, the activity recreated
        assertTrue(pad.isWiped())
    }

    @Test
    fun `managed configuration becomes the core's clinic policy, unusable values keep the defaults`() {
        val d = defaultClinicPolicy()
        assertEquals(d, ManagedPolicy.from { null })
        val set = mapOf<String, Any>(
            "sign_in" to "always", "allow_pin" to false, "careful_reading" to true,
            "keep_photo" to true, "idle_sign_out_minutes" to 10, "shift_hours" to 8,
        )
        val p = ManagedPolicy.from { set[it] }
        assertEquals(SignInPolicy.ALWAYS, p.signIn)
        assertFalse(p.allowPin)
        assertTrue(p.allowVisual && p.carefulReading && p.keepPhoto)
        assertEquals(10u, p.idleSignOutMinutes)
        assertEquals(8u, p.shiftHours)
        val bad = ManagedPolicy.from { mapOf<String, Any>("sign_in" to "sometimes", "allow_pin" to false, "allow_visual" to false, "shift_hours" to 0)[it] }
        assertEquals(d.signIn, bad.signIn)
        assertTrue("both modes off cannot be meant", bad.allowPin && bad.allowVisual)
        assertEquals(d.shiftHours, bad.shiftHours)
    }

    @Test
    fun `the sync job is never asked to start sooner than 30 seconds`() {
        val now = Instant.parse("2026-12-02T00:00:00Z")
        assertEquals(SyncTiming.MIN_DELAY_MS, SyncTiming.latencyMillis(now, now))
        assertEquals(SyncTiming.MIN_DELAY_MS, SyncTiming.latencyMillis(now.minusSeconds(60), now))
        assertEquals(600_000L, SyncTiming.latencyMillis(now.plusSeconds(600), now))
    }
}
