// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app

import java.io.File
import java.io.IOException
import java.time.Instant
import java.time.LocalDate
import java.time.ZoneId
import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.delay
import jp.houmon.app.shell.HoumonShell
import jp.houmon.app.shell.Platform
import jp.houmon.app.shell.RawTag
import jp.houmon.app.shell.TagGone
import jp.houmon.app.shell.TagTransport
import jp.houmon.core.AppConfig
import jp.houmon.core.AppEvent
import jp.houmon.core.AppView
import jp.houmon.core.CalendarDate
import jp.houmon.core.ClinicPolicy
import jp.houmon.core.Effect
import jp.houmon.core.FeedbackKind
import jp.houmon.core.KeyProvider
import jp.houmon.core.KeyProviderFailure
import jp.houmon.core.PlatformInfo
import jp.houmon.core.RoundView
import jp.houmon.core.Screen
import jp.houmon.core.TapAnswer
import jp.houmon.core.TestCard
import jp.houmon.core.TestClinic
import jp.houmon.core.TransportFailure
import jp.houmon.core.VisitView
import jp.houmon.core.defaultClinicPolicy
import org.junit.Assert.assertEquals
import org.junit.Assert.fail

/** A failed expectation where a value is needed. */
fun <T> nope(message: String): T = throw AssertionError(message)

/** Japan's date, taken once before a journey starts (never after a visit: that can be the next day). */
fun japanToday(): LocalDate = LocalDate.now(ZoneId.of("Asia/Tokyo"))

fun LocalDate.toCalendarDate() = CalendarDate(year, monthValue.toUByte(), dayOfMonth.toUByte())

/** The Keystore, as the core sees it: a fixed key, resets counted; or a key that is gone. */
class Keys(private var key: ByteArray, private val gone: Boolean = false) : KeyProvider {
    val resets = AtomicInteger()

    override fun databaseKey(): ByteArray {
        if (gone) throw KeyProviderFailure.Unavailable("the Keystore key is gone")
        return key.copyOf()
    }

    override fun resetDatabaseKey() {
        resets.incrementAndGet()
        key = ByteArray(32) { (it * 3 + resets.get()).toByte() }
    }
}

/** What the core asked the platform to do, with when it asked. */
class Recorder : Platform {
    private val list: MutableList<Pair<Instant, Effect>> = Collections.synchronizedList(mutableListOf())

    /** Everything since the last call (and forgets it). */
    fun take(): List<Effect> = synchronized(list) { list.map { it.second }.also { list.clear() } }

    fun scheduled(): List<Pair<Instant, Instant>> = synchronized(list) {
        list.mapNotNull { (asked, e) -> (e as? Effect.ScheduleSync)?.let { asked to it.at } }
    }

    private fun add(e: Effect) {
        list += Instant.now() to e
    }

    override fun scheduleSync(at: Instant) = add(Effect.ScheduleSync(at))
    override fun cancelScheduledSync() = add(Effect.CancelScheduledSync)
    override fun feedback(kind: FeedbackKind) = add(Effect.Feedback(kind))
    override fun announce(text: String) = add(Effect.Announce(text))
    override fun openNfcSettings() = add(Effect.OpenNfcSettings)
}

/**
 * Android's `IsoDep`, simulated over the virtual card: its limits, its
 * time-out (recorded per APDU), and what Android throws — `TagLostException`
 * as [TagGone]. `gate`: the signature waits until released (a card slow
 * to sign, or an activity that goes away meanwhile).
 */
class SimulatedIsoDep(val card: TestCard, private val gate: Gate? = null) : RawTag {
    override val extendedLengthSupported: Boolean = card.limits().extendedLength
    override val maxTransceiveLength: Int = card.limits().maxCommand.toInt()
    @Volatile override var timeoutMillis: Int = TagTransport.DEFAULT_TIMEOUT_MS
    val closed = AtomicInteger()

    class Gate {
        val signing = CountDownLatch(1)
        val release = CountDownLatch(1)
    }

    override fun transceive(apdu: ByteArray): ByteArray {
        if (gate != null && TagTransport.isSignature(apdu)) {
            gate.signing.countDown()
            gate.release.await(20, TimeUnit.SECONDS)
        }
        try {
            return card.transceive(apdu)
        } catch (e: TransportFailure.TagLost) {
            throw TagGone("Tag was lost.")
        } catch (e: TransportFailure) {
            throw IOException("Transceive failed")
        }
    }

    override fun close() {
        closed.incrementAndGet()
    }
}

/** A card for a phone (the card sits behind the phone's reader with these limits). */
fun card(variant: String = "standard", tagLostAt: UInt? = null): TestCard =
    TestCard(variant, TagTransport.limitsOf(true, 65_279), tagLostAt, null)

const val COLLATION = "55021720352285"

/** One phone: the shell adapter the app uses, on its own store, with the test's platform. */
class Phone(val db: String, val keys: KeyProvider, policy: ClinicPolicy = defaultClinicPolicy()) {
    val platform = Recorder()
    val shell = HoumonShell.open(
        AppConfig(db, PlatformInfo("Pixel 8", "Android 15 (API 35)", "背面の上部", "訪問用1"), policy),
        keys,
        platform,
    )

    /** The view the adapter published, checked to be the core's newest. */
    val view: AppView
        get() {
            val shown = shell.view.value
            assertEquals("the adapter publishes the newest view", shell.core!!.view().revision, shown.revision)
            return shown
        }

    suspend fun send(e: AppEvent) {
        shell.send(e)
        shell.settle()
    }

    suspend fun tap(tag: RawTag): TapAnswer {
        val answer = shell.cardTapped(TagTransport(tag))
        shell.settle()
        return answer
    }

    fun round(): RoundView = (view.screen as? Screen.Round)?.round ?: nope("not the round: ${view.screen}")

    fun visit(): VisitView = (view.screen as? Screen.Visit)?.visit ?: nope("not a visit: ${view.screen}")

    suspend fun deviceId(): String {
        send(AppEvent.OpenSettings)
        val id = (view.screen as? Screen.Settings)?.settings?.enrolment?.deviceId ?: nope("settings: ${view.screen}")
        send(AppEvent.Back)
        return id
    }

    /** Types the digits on the app's keypad buffer and sends them, as the Compose pad does. */
    suspend fun typePin(pin: String) {
        val pad = jp.houmon.app.shell.SecretDigits(pin.length)
        pin.forEach { pad.push(it) }
        send(AppEvent.SubmitPin(pad.take()))
        if (!pad.isWiped()) fail("the keypad's digits are wiped when sent")
    }

    /** Waits until `cond`, asking for a sync between looks (the OS job would). */
    suspend fun waitFor(what: String, cond: (AppView) -> Boolean) {
        repeat(200) {
            if (cond(view)) return
            send(AppEvent.SyncDue)
            delay(50)
        }
        fail("$what: ${view.screen} ${view.header}")
    }

    fun close() {
        shell.core?.close()
    }

    companion object {
        fun scratch(name: String): String =
            File.createTempFile("houmon-$name", ".sqlite").also { it.delete(); it.deleteOnExit() }.path

        /** A new phone, enrolled at `clinic` (the network there at once, as at start). */
        suspend fun enrolled(clinic: TestClinic, name: String, policy: ClinicPolicy = defaultClinicPolicy()): Phone {
            val p = Phone(scratch(name), Keys(ByteArray(32) { 7 }), policy)
            p.send(AppEvent.NetworkChanged(true))
            if (p.view.screen !is Screen.Enrol) fail("a new phone enrols first: ${p.view.screen}")
            p.send(AppEvent.EnrolmentScanned(clinic.enrolmentLink()))
            if (p.view.screen !is Screen.Round) fail("enrolled: ${p.view.screen}")
            return p
        }
    }
}
