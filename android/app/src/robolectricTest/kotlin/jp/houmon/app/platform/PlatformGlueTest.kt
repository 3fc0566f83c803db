// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.app.Activity
import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.content.Context
import android.content.pm.PackageManager
import android.net.NetworkCapabilities
import android.nfc.NfcAdapter
import android.nfc.TagLostException
import android.os.Bundle
import android.os.Vibrator
import android.os.VibratorManager
import android.provider.Settings
import android.view.WindowManager
import java.io.IOException
import java.time.Instant
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import kotlinx.coroutines.runBlocking
import jp.houmon.app.shell.TagGone
import jp.houmon.app.shell.TagTransport
import jp.houmon.core.FeedbackKind
import jp.houmon.core.KeyProviderFailure
import jp.houmon.core.NfcState
import jp.houmon.core.SignInPolicy
import jp.houmon.core.TapAnswer
import jp.houmon.core.TransportFailure
import org.junit.After
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.shadows.ShadowIsoDep
import org.robolectric.shadows.ShadowNetworkCapabilities
import org.robolectric.shadows.ShadowNfcAdapter

/**
 * The platform glue on the real framework classes (Robolectric, the
 * Android 16 / API 36 framework, offline): reader mode, FLAG_SECURE, the
 * sync job, the Keystore key, the IsoDep error mapping, connectivity,
 * feedback, managed configuration and the NFC state. No native core here
 * (the JVM journeys run it).
 */
@RunWith(RobolectricTestRunner::class)
@Config(manifest = Config.NONE, sdk = [36])
class PlatformGlueTest {
    private val context: Context get() = RuntimeEnvironment.getApplication()

    @After
    fun reset() {
        ShadowNfcAdapter.reset()
    }

    /** A phone with an NFC reader. */
    private fun withNfc() {
        ShadowNfcAdapter.setNfcHardwareExists(true)
        shadowOf(context.packageManager).setSystemFeature(PackageManager.FEATURE_NFC, true)
    }

    private fun activity(): Activity = Robolectric.buildActivity(Activity::class.java).setup().get()

    @Test
    fun `reader mode is on for the whole visit while resumed, and off in onPause and after the visit`() {
        withNfc()
        val controller = Robolectric.buildActivity(Activity::class.java).setup()
        val a = controller.get()
        val nfc = shadowOf(NfcAdapter.getDefaultAdapter(a))
        val reader = CardReader(a) { TapAnswer.Reading }
        reader.onResume()
        assertFalse("no visit: no reader mode", nfc.isInReaderMode)
        reader.want(true)
        assertTrue("a visit is open", nfc.isInReaderMode)
        reader.want(true)
        assertTrue("every step of the visit keeps it on", nfc.isInReaderMode)
        reader.onPause()
        assertFalse("off in onPause", nfc.isInReaderMode)
        reader.onResume()
        assertTrue("on again when resumed during the visit", nfc.isInReaderMode)
        reader.want(false)
        assertFalse("off when the visit ends", nfc.isInReaderMode)
        val flags = CardReader.FLAGS
        for (f in listOf(NfcAdapter.FLAG_READER_NFC_B, NfcAdapter.FLAG_READER_NFC_A, NfcAdapter.FLAG_READER_SKIP_NDEF_CHECK, NfcAdapter.FLAG_READER_NO_PLATFORM_SOUNDS)) {
            assertTrue("reader flag $f", flags and f != 0)
        }
    }

    @Test
    fun `FLAG_SECURE is on the window while the core protects the screen, and off when it does not`() {
        val a = activity()
        ScreenGuard.apply(a, true)
        assertTrue(shadowOf(a.window).getFlag(WindowManager.LayoutParams.FLAG_SECURE))
        assertTrue(ScreenGuard.isSecure(a))
        ScreenGuard.apply(a, false)
        assertFalse(shadowOf(a.window).getFlag(WindowManager.LayoutParams.FLAG_SECURE))
    }

    private fun pending(): JobInfo? = context.getSystemService(JobScheduler::class.java).getPendingJob(SyncJobs.JOB_ID)

    @Test
    fun `the sync job is persisted, needs a network, and never starts sooner than 30 seconds`() {
        SyncJobs.schedule(context, Instant.now())
        val now = pending() ?: fail("scheduled") as Nothing
        assertTrue("persisted across a reboot", now.isPersisted)
        assertTrue("latency ${now.minLatencyMillis}", now.minLatencyMillis >= 30_000)
        assertEquals(JobInfo.NETWORK_TYPE_ANY, now.networkType)
        SyncJobs.schedule(context, Instant.now().plusSeconds(600))
        val later = pending() ?: fail("scheduled") as Nothing
        assertTrue("the core's time: ${later.minLatencyMillis}", later.minLatencyMillis in 590_000..600_000)
        SyncJobs.cancel(context)
        assertNull(pending())
    }

    @Test
    fun `while the job runs nothing reschedules or cancels it, the core's next time is asked for after it`() {
        SyncJobs.schedule(context, Instant.now().plusSeconds(60))
        val running = pending()
        SyncJobs.started()
        try {
            SyncJobs.schedule(context, Instant.now().plusSeconds(300))
            assertEquals("not rescheduled from inside the job", running?.minLatencyMillis, pending()?.minLatencyMillis)
            SyncJobs.cancel(context)
            assertNotNull("not cancelled from inside the job", pending())
            SyncJobs.schedule(context, Instant.now().plusSeconds(900))
        } finally {
            SyncJobs.finished(context)
        }
        val next = pending() ?: fail("the last request is made after the job") as Nothing
        assertTrue("${next.minLatencyMillis}", next.minLatencyMillis in 890_000..900_000)
        SyncJobs.cancel(context)
    }

    /** The Keystore, in memory: a key that can be lost. */
    private class MemoryKeys : WrappingKeys {
        var key: SecretKey? = null
        var made = 0
        override fun existing(): SecretKey? = key
        override fun create(): SecretKey {
            made++
            return KeyGenerator.getInstance("AES").apply { init(256) }.generateKey().also { key = it }
        }
        override fun delete() {
            key = null
        }
    }

    @Test
    fun `a lost Keystore key is reported, never silently replaced, and only the reset makes a new store key`() {
        val wrap = MemoryKeys()
        val keys = KeystoreKeys(context, wrap)
        keys.resetDatabaseKey()
        val first = keys.databaseKey()
        assertEquals(32, first.size)
        assertArrayEquals("the same key each time", first, keys.databaseKey())
        wrap.key = null // the Keystore lost it (restored phone, cleared credentials)
        try {
            keys.databaseKey()
            fail("a store key that cannot be unwrapped is an error")
        } catch (e: KeyProviderFailure.Unavailable) {
            assertNull("no new Keystore key made behind the recovery screen", wrap.key)
        }
        keys.resetDatabaseKey()
        val fresh = keys.databaseKey()
        assertFalse(first.contentEquals(fresh))
        assertEquals(2, wrap.made)
    }

    @Test
    fun `a phone whose Keystore fails gives the core a KeyProviderFailure, not a crash`() {
        // Robolectric has no AndroidKeyStore provider: like a phone whose keystore daemon fails.
        try {
            KeystoreKeys(context).databaseKey()
            fail("no key without a Keystore")
        } catch (e: KeyProviderFailure) {
            // The core turns this into its recovery screen (store.key-unavailable).
        }
    }

    @Test
    fun `IsoDep's errors - tag lost, out of date or closed - are the card gone, the rest goes to the transport's rules`() = runBlocking<Unit> {
        val iso = ShadowIsoDep.newInstance()
        shadowOf(iso).setMaxTransceiveLength(253)
        shadowOf(iso).setExtendedLengthApduSupported(false)
        shadowOf(iso).setTransceiveResponse(byteArrayOf(0x90.toByte(), 0))
        val real = IsoDepTag(iso)
        assertEquals(253u, TagTransport(real).limits().maxCommand)
        assertArrayEquals(byteArrayOf(0x90.toByte(), 0), real.transceive(byteArrayOf(0, 0xA4.toByte(), 4, 0)))
        fun gone(e: Exception) = try {
            IsoDepTag(iso) { throw e }.transceive(byteArrayOf(0, 0, 0, 0))
            false
        } catch (t: TagGone) {
            true
        } catch (t: IOException) {
            false
        }
        assertTrue(gone(TagLostException("Tag was lost.")))
        assertTrue(gone(SecurityException("Permission Denial: Tag ( ID: 01 ) is out of date")))
        assertTrue(gone(IllegalStateException("Call connect() first!")))
        assertFalse(gone(IOException("Transceive failed")))
        val lost = try {
            TagTransport(IsoDepTag(iso) { throw TagLostException("Tag was lost.") }).transceive(byteArrayOf(0, 0xB0.toByte(), 0, 0, 0))
            null
        } catch (f: TransportFailure) {
            f
        }
        assertTrue("$lost", lost is TransportFailure.TagLost)
    }

    @Test
    fun `a clinic Wi-Fi without internet validation counts, a captive portal does not`() {
        val lan = ShadowNetworkCapabilities.newInstance()
        shadowOf(lan).addTransportType(NetworkCapabilities.TRANSPORT_WIFI)
        shadowOf(lan).addCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET)
        assertTrue("INTERNET without VALIDATED", Connectivity.usable(lan))
        shadowOf(lan).addCapability(NetworkCapabilities.NET_CAPABILITY_CAPTIVE_PORTAL)
        assertFalse("a login page first", Connectivity.usable(lan))
        assertFalse(Connectivity.usable(ShadowNetworkCapabilities.newInstance()))
    }

    @Test
    fun `the end of a read is felt, success and a lost card vibrate differently`() {
        val vibrator = context.getSystemService(VibratorManager::class.java).defaultVibrator
        val feedback = Feedback(context)
        feedback.play(FeedbackKind.READ_SUCCEEDED)
        val ok = shadowOf(vibrator).pattern?.copyOf()
        feedback.play(FeedbackKind.CARD_LOST)
        val lost = shadowOf(vibrator).pattern?.copyOf()
        assertNotNull(ok)
        assertFalse("different patterns", ok.contentEquals(lost))
        assertTrue(Feedback.endsRead(FeedbackKind.READ_FAILED) && !Feedback.endsRead(FeedbackKind.NOT_NOW))
        assertTrue(context.getSystemService(Vibrator::class.java) != null)
    }

    @Test
    fun `managed configuration from the MDM becomes the clinic policy`() {
        val b = Bundle().apply {
            putString("sign_in", "never")
            putBoolean("allow_visual", false)
            putBoolean("careful_reading", true)
            putInt("idle_sign_out_minutes", 15)
        }
        val p = ManagedConfig.policy(b)
        assertEquals(SignInPolicy.NEVER, p.signIn)
        assertFalse(p.allowVisual)
        assertTrue(p.allowPin && p.carefulReading)
        assertEquals(15u, p.idleSignOutMinutes)
        assertEquals("nothing set: the defaults", jp.houmon.core.defaultClinicPolicy(), ManagedConfig.policy(context))
    }

    @Test
    fun `a policy the MDM changes while the app runs reaches the core at once`() {
        val seen = mutableListOf<jp.houmon.core.ClinicPolicy>()
        val receiver = ManagedConfig.watch(context) { seen += it }
        context.sendBroadcast(android.content.Intent(android.content.Intent.ACTION_APPLICATION_RESTRICTIONS_CHANGED))
        shadowOf(android.os.Looper.getMainLooper()).idle()
        assertEquals("one PolicyChanged per change", 1, seen.size)
        context.unregisterReceiver(receiver)
    }

    @Test
    fun `NFC off is reported and the button opens the NFC panel`() {
        withNfc()
        val adapter = NfcAdapter.getDefaultAdapter(context)
        shadowOf(adapter).setEnabled(false)
        assertEquals(NfcState.OFF, NfcWatch.state(context))
        shadowOf(adapter).setEnabled(true)
        assertEquals(NfcState.ON, NfcWatch.state(context))
        assertEquals(Settings.Panel.ACTION_NFC, NfcWatch.settingsIntent().action)
    }
}
