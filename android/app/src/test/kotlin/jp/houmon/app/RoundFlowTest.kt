// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app

import java.io.File
import java.io.IOException
import java.util.Collections
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import jp.houmon.app.logic.AppController
import jp.houmon.app.logic.AppScreen
import jp.houmon.app.logic.Delivery
import jp.houmon.app.logic.EnrolmentController
import jp.houmon.app.logic.Labels
import jp.houmon.app.logic.RawTag
import jp.houmon.app.logic.ReceptionController
import jp.houmon.app.logic.TagGone
import jp.houmon.app.logic.TagTransport
import jp.houmon.app.logic.VisitController
import jp.houmon.app.logic.VisitScreen
import jp.houmon.app.logic.toCalendarDate
import jp.houmon.app.logic.today
import jp.houmon.core.CareSetting
import jp.houmon.core.ConsentCategory
import jp.houmon.core.IdentityCheck
import jp.houmon.core.PinUnavailable
import jp.houmon.core.ReceptionDecision
import jp.houmon.core.ReceptionStep
import jp.houmon.core.StepResult
import jp.houmon.core.EligibilityStatus
import jp.houmon.core.HoumonCore
import jp.houmon.core.IdentityMode
import jp.houmon.core.KeyProvider
import jp.houmon.core.Prescription
import jp.houmon.core.QueueState
import jp.houmon.core.TestCard
import jp.houmon.core.TestClinic
import jp.houmon.core.TransportFailure
import jp.houmon.core.UnavailableReason
import jp.houmon.core.VisualReason
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Before
import org.junit.Test

/** A failed expectation where a value is needed. */
private fun <T> nope(message: String): T = throw AssertionError(message)

/**
 * The app-logic layer on the JVM with the host-built core: a clinic server
 * on loopback (TLS, one-time enrolment), phones with their own encrypted
 * store, and cards behind a simulated `IsoDep` (a [RawTag] over the core's
 * virtual card, throwing what Android throws).
 */
class RoundFlowTest {
    private lateinit var clinic: TestClinic
    private lateinit var db: File
    private lateinit var core: HoumonCore
    private lateinit var scope: CoroutineScope
    private lateinit var app: AppController

    class Keys(private val key: ByteArray) : KeyProvider {
        override fun databaseKey(): ByteArray = key.copyOf()
    }

    /**
     * Android's `IsoDep`, simulated over the virtual card: its limits, its
     * time-out (recorded per APDU), `TagLostException` as [TagGone].
     */
    class SimulatedIsoDep(
        val card: TestCard,
        override val extendedLengthSupported: Boolean,
        override val maxTransceiveLength: Int,
        private val onApdu: () -> Unit = {},
    ) : RawTag {
        override var timeoutMillis: Int = TagTransport.DEFAULT_TIMEOUT_MS
        val timeouts: MutableList<Pair<Boolean, Int>> = Collections.synchronizedList(mutableListOf())

        override fun transceive(apdu: ByteArray): ByteArray {
            timeouts += TagTransport.isSignature(apdu) to timeoutMillis
            onApdu()
            try {
                return card.transceive(apdu)
            } catch (e: TransportFailure.TagLost) {
                throw TagGone("Tag was lost.")
            } catch (e: TransportFailure.Timeout) {
                throw IOException("Transceive failed: timeout")
            } catch (e: TransportFailure.Io) {
                throw IOException(e.reason)
            }
        }
    }

    /** A card for a phone of a given kind (its transport's limits are the card's reader). */
    private fun phoneCard(
        variant: String = "standard",
        extended: Boolean = true,
        maxTransceive: Int = 65_279,
        cautious: Boolean = false,
        tagLostAt: UInt? = null,
        onApdu: () -> Unit = {},
    ): Pair<SimulatedIsoDep, TagTransport> {
        val card = TestCard(variant, TagTransport.limitsOf(extended, maxTransceive, cautious), tagLostAt, null)
        val tag = SimulatedIsoDep(card, extended, maxTransceive, onApdu)
        return tag to TagTransport(tag, cautious)
    }

    @Before
    fun setUp() = runBlocking<Unit> {
        clinic = TestClinic.start()
        db = File.createTempFile("houmon-app", ".sqlite").also { it.delete() }
        core = HoumonCore.open(db.path, Keys(ByteArray(32) { (it * 11).toByte() }), false)
        scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        app = AppController(core, scope, "背面の中央")
        assertEquals(AppScreen.Enrol, app.screen.value)
        assertTrue(app.enrol(clinic.enrolmentLink(), "テスト端末"))
        assertEquals(AppScreen.Round, app.screen.value)
        val device = core.enrolment()!!.deviceId
        clinic.assignRound(device, today().toCalendarDate(), listOf("p0", "p1", "p2", "p3", "p4", "p5"))
        app.round.load()
    }

    @After
    fun tearDown() = runBlocking<Unit> {
        scope.cancel()
        clinic.stop()
        core.close()
        db.delete()
    }

    private val visit: VisitController get() = app.visit ?: error("no visit open")

    private suspend fun pinVisitToConsent(patient: String, transport: TagTransport, pin: String = "1234") {
        app.openVisit(patient)
        visit.chooseMode(IdentityMode.PIN)
        val digits = pin.toCharArray()
        visit.submitPin(digits)
        assertTrue("the PIN pad's digits are wiped", digits.all { it == '\u0000' })
        assertTrue("reader mode on at HoldCard: ${visit.screen.value}", visit.wantsCard)
        visit.onCard(transport)
    }

    private suspend fun waitFor(what: String, timeoutMs: Long = 15_000, cond: suspend () -> Boolean) {
        val end = System.currentTimeMillis() + timeoutMs
        while (!cond()) {
            if (System.currentTimeMillis() > end) fail("timed out waiting for $what")
            delay(100)
        }
    }

    @Test
    fun `the round lists only this phone's patients, homes first then each facility, all unconfirmed`() = runBlocking<Unit> {
        val round = app.round.screen.value
        assertFalse(round.offline)
        assertEquals(listOf(Labels.HOME, "グループホームさくら"), round.groups.map { it.title })
        assertEquals(listOf("p0", "p1", "p2"), round.groups[0].patients.map { it.patientId })
        assertEquals(listOf("p3", "p4", "p5"), round.groups[1].patients.map { it.patientId })
        assertTrue(round.groups.flatMap { it.patients }.all { it.status == EligibilityStatus.UNKNOWN && it.eligibility.contains("未確認") })
    }

    @Test
    fun `a PIN visit is stored offline, sent when the network returns, and eligibility shows only from the server`() = runBlocking<Unit> {
        app.sync.onConnectivity(false)
        val lines = Collections.synchronizedList(mutableListOf<String>())
        val (tag, transport) = phoneCard(onApdu = {
            (app.visit?.screen?.value as? VisitScreen.HoldCard)?.let { lines += it.line }
        })
        pinVisitToConsent("p0", transport)
        val consent = visit.screen.value as? VisitScreen.Consent ?: nope("consent: ${visit.screen.value}")
        assertTrue(consent.term.description, consent.term.continuesWithMonthlyCare)
        assertTrue("the core's progress lines were shown: $lines", lines.contains("署名しています"))
        // The signature ran with the raised time-out; the others with the default, restored after.
        assertTrue(tag.timeouts.filter { it.first }.all { it.second == TagTransport.SIGNATURE_TIMEOUT_MS })
        assertTrue(tag.timeouts.filter { !it.first }.all { it.second == TagTransport.DEFAULT_TIMEOUT_MS })
        assertEquals(1, tag.timeouts.count { it.first })
        assertEquals(TagTransport.DEFAULT_TIMEOUT_MS, tag.timeoutMillis)

        visit.giveConsent(true, listOf(), Prescription.ELECTRONIC)
        app.sending?.join()
        val done = visit.screen.value as VisitScreen.Done
        assertEquals(Delivery.STORED, done.delivery)
        assertTrue(app.sync.status.value.line, app.sync.status.value.line.contains("オフライン") && app.sync.status.value.pending == 1)
        app.round.load()
        val p0 = app.round.screen.value.groups[0].patients[0]
        assertTrue("offline, never 有効 from a guess: ${p0.eligibility}", app.round.screen.value.offline && p0.eligibility.contains("未確認"))

        app.sync.onConnectivity(true)
        visit.refreshDelivery()
        assertEquals(Delivery.SENT, (visit.screen.value as VisitScreen.Done).delivery)
        assertTrue(clinic.storedVisits().contains(done.recordId))
        waitFor("p0's result") {
            app.sync.syncNow()
            app.round.load()
            app.round.screen.value.groups[0].patients[0].status == EligibilityStatus.VALID
        }
        val row = app.round.screen.value.groups[0].patients[0]
        assertTrue(row.eligibility, row.eligibility.contains("有効 (3割)"))
        assertTrue("card enrolled by the accepted PIN visit", row.cardEnrolled)
        app.finishVisit()
        assertEquals("p1", app.suggested)
        assertTrue(app.round.screen.value.groups[0].patients[0].visitedToday)
    }

    @Test
    fun `a 目視 visit on a face-recognition card shows the greyscale note and records the staff check`() = runBlocking<Unit> {
        val (_, transport) = phoneCard("face-recognition")
        app.openVisit("p3")
        val choose = visit.screen.value as VisitScreen.ChooseMode
        assertEquals("患者 3", choose.patientName)
        visit.chooseMode(IdentityMode.VISUAL)
        visit.submitCollation("55021720352285".toCharArray())
        visit.onCard(transport)
        val photo = visit.screen.value as? VisitScreen.ComparePhoto ?: nope("photo: ${visit.screen.value}")
        assertTrue(photo.png.size > 100 && photo.width > 0 && photo.note.contains("白黒"))
        assertEquals(VisualReason.entries.size, photo.reasons.size)
        visit.photoMatches(VisualReason.DEMENTIA_OR_DISABILITY, "")
        assertTrue(visit.screen.value is VisitScreen.Consent)
        visit.giveConsent(false, listOf(ConsentCategory.YZK), Prescription.PAPER)
        assertTrue(visit.screen.value is VisitScreen.Done)
    }

    @Test
    fun `modes a card cannot do are greyed with the core's reason`() = runBlocking<Unit> {
        // A 顔認証 card: PIN mode is taken away once the card says so.
        val (_, face) = phoneCard("face-recognition")
        pinVisitToConsent("p0", face)
        val choose = visit.screen.value as? VisitScreen.ChooseMode ?: nope("back to the choice: ${visit.screen.value}")
        val pin = choose.options.first { it.mode == IdentityMode.PIN }
        assertFalse(pin.enabled)
        assertNotNull(pin.whyNot)
        assertTrue(choose.options.first { it.mode == IdentityMode.VISUAL }.enabled)
        // A card without a photo: 目視 is taken away.
        val (_, noPhoto) = phoneCard("no-photo")
        app.openVisit("p1")
        visit.chooseMode(IdentityMode.VISUAL)
        visit.submitCollation("55021720352285".toCharArray())
        visit.onCard(noPhoto)
        val after = visit.screen.value as? VisitScreen.ChooseMode ?: nope("back to the choice: ${visit.screen.value}")
        val visual = after.options.first { it.mode == IdentityMode.VISUAL }
        assertFalse(visual.enabled)
        assertEquals(UnavailableReason.NO_PHOTO, visual.reason)
    }

    @Test
    fun `a wrong PIN shows the tries left and the last try needs the patient's confirmation`() = runBlocking<Unit> {
        val (tag, transport) = phoneCard()
        pinVisitToConsent("p0", transport, pin = "9999")
        val pad = visit.screen.value as? VisitScreen.EnterPin ?: nope("back at the pad: ${visit.screen.value}")
        assertEquals(2, pad.triesLeft)
        assertTrue(pad.error ?: "", (pad.error ?: "").contains("残り2回"))
        assertEquals(1u, tag.card.verifyCount())

        val (last, lastTransport) = phoneCard("one-try-left")
        pinVisitToConsent("p1", lastTransport)
        val ask = visit.screen.value as? VisitScreen.ConfirmLastTry ?: nope("asks: ${visit.screen.value}")
        assertTrue(ask.message.isNotBlank())
        assertEquals("nothing sent before the patient agrees", 0u, last.card.verifyCount())
        visit.confirmLastTry()
        assertTrue(visit.wantsCard)
        visit.onCard(lastTransport)
        assertTrue("${visit.screen.value}", visit.screen.value is VisitScreen.Consent)
    }

    @Test
    fun `a card pulled away mid-read resumes on the next tap without the PIN again`() = runBlocking<Unit> {
        val (tag, transport) = phoneCard(tagLostAt = 3u)
        pinVisitToConsent("p0", transport)
        val hold = visit.screen.value as? VisitScreen.HoldCard ?: nope("still holding: ${visit.screen.value}")
        assertEquals(Labels.CARD_AGAIN, hold.line)
        assertNotNull(hold.error)
        assertTrue(visit.wantsCard)
        tag.card.reinsert()
        visit.onCard(transport)
        assertTrue("${visit.screen.value}", visit.screen.value is VisitScreen.Consent)
        assertEquals(1u, tag.card.verifyCount())
    }

    @Test
    fun `the card of another patient stops the visit and names them`() = runBlocking<Unit> {
        val (tag, transport) = phoneCard()
        pinVisitToConsent("p0", transport)
        visit.giveConsent(true, listOf(), Prescription.ELECTRONIC)
        app.sending?.join()
        app.finishVisit()
        waitFor("p0's card on the roster") {
            app.round.load()
            app.round.screen.value.groups[0].patients[0].cardEnrolled
        }
        tag.card.reinsert()
        pinVisitToConsent("p1", transport)
        val stop = visit.screen.value as? VisitScreen.WrongCard ?: nope("stopped: ${visit.screen.value}")
        assertEquals("p0", stop.belongsToPatientId)
        assertTrue(stop.message, stop.message.contains("患者 0"))
        assertEquals("no PIN sent for p1", 1u, tag.card.verifyCount())
        visit.holdAnotherCard()
        assertTrue(visit.wantsCard)
    }

    @Test
    fun `iPhone-like and old-Android readers finish within their limits`() = runBlocking<Unit> {
        for ((name, profile) in listOf(
            "old Android (short APDUs, 261 bytes)" to Triple(false, 261, false),
            "careful reading (answers ≤ 1 KB)" to Triple(true, 65_279, true),
            "iPhone-like (short, answers ≤ 1 KB)" to Triple(false, 261, true),
        )) {
            val (tag, transport) = phoneCard("standard", profile.first, profile.second, profile.third)
            pinVisitToConsent("p2", transport)
            assertTrue("$name: ${visit.screen.value}", visit.screen.value is VisitScreen.Consent)
            assertEquals(name, 0u, tag.card.oversizedAnswers())
            assertEquals(name, tag.card.plannedApdus(IdentityMode.PIN), tag.card.apduCount())
            visit.cancel()
        }
    }

    @Test
    fun `the transport reports a lost tag before other I-O errors and gives the core the tag's limits`() = runBlocking<Unit> {
        class Failing(val error: IOException) : RawTag {
            override val extendedLengthSupported = false
            override val maxTransceiveLength = 261
            override var timeoutMillis = 1_500
            override fun transceive(apdu: ByteArray): ByteArray = throw error
        }
        suspend fun failure(e: IOException): TransportFailure =
            try {
                TagTransport(Failing(e)).transceive(byteArrayOf(0, 0xB0.toByte(), 0, 0, 0))
                nope("no failure")
            } catch (f: TransportFailure) {
                f
            }
        assertTrue(failure(TagGone("Tag was lost.")) is TransportFailure.TagLost)
        assertTrue(failure(IOException("Transceive failed: timeout")) is TransportFailure.Timeout)
        assertTrue(failure(IOException("Transceive failed")) is TransportFailure.Io)
        val short = TagTransport.limitsOf(false, 261, false)
        assertEquals(Triple(false, 261u, 258u), Triple(short.extendedLength, short.maxCommand, short.maxResponse))
        assertEquals(1024u, TagTransport.limitsOf(true, 65_279, true).maxResponse)
        assertEquals(65_538u, TagTransport.limitsOf(true, 65_279, false).maxResponse)
    }

    @Test
    fun `a record the clinic refuses is listed with its reason and staff can retry or discard it`() = runBlocking<Unit> {
        // A patient who is not on this phone's round: the clinic refuses the record.
        val (_, transport) = phoneCard()
        pinVisitToConsent("p-not-on-round", transport)
        visit.giveConsent(true, listOf(), Prescription.ELECTRONIC)
        app.sending?.join()
        assertEquals(Delivery.WEDGED, (visit.screen.value as VisitScreen.Done).delivery)
        app.queue.load()
        val wedged = app.queue.screen.value.wedged.single()
        assertTrue(wedged.reason ?: "", (wedged.reason ?: "").contains("訪問予定"))
        assertTrue(app.sync.status.value.line.contains("要確認 1件"))
        app.queue.retry(wedged.id)
        assertEquals(1, app.queue.screen.value.pending.size)
        // Sent again, refused again (nothing changed at the clinic); then discarded.
        app.sync.syncNow()
        app.queue.load()
        assertEquals(wedged.id, app.queue.screen.value.wedged.single().id)
        app.queue.discard(wedged.id)
        app.queue.load()
        assertTrue(app.queue.screen.value.pending.isEmpty() && app.queue.screen.value.wedged.isEmpty())
        assertTrue(core.queue(QueueState.PENDING).isEmpty())
    }

    @Test
    fun `a photo that does not match refuses identity and reception guidance is one tap away`() = runBlocking<Unit> {
        val (_, transport) = phoneCard("face-recognition")
        app.openVisit("p4")
        visit.chooseMode(IdentityMode.VISUAL)
        visit.submitCollation("55021720352285".toCharArray())
        visit.onCard(transport)
        visit.photoDoesNotMatch()
        val refused = visit.screen.value as? VisitScreen.Refused ?: nope("refused: ${visit.screen.value}")
        assertTrue(refused.message.isNotBlank())
        app.showReception("p4")
        val reception = app.reception ?: nope("a reception screen")
        val after = reception.screen.value.guidance ?: nope("guidance: ${reception.screen.value.error}")
        // 目視 failed, first visit: the 被保険者資格申立書; p4 is 76, so the
        // share is the one the patient declares (1〜3割), not a fixed 3割.
        assertEquals(ReceptionDecision.ACCEPT, after.decision)
        assertTrue(after.text, after.declarationFields.isNotEmpty() && after.shareWari == null && after.shareText.contains("1〜3割"))
    }

    @Test
    fun `reception guidance puts 目視 first when the PIN cannot be used and changes as steps are recorded`() = runBlocking<Unit> {
        val r = ReceptionController(today(), null, IdentityCheck.PinUnavailable(PinUnavailable.FORGOTTEN), CareSetting.HOME)
        val first = r.screen.value.guidance ?: nope("guidance")
        assertEquals(ReceptionDecision.TRY_FIRST, first.decision)
        assertTrue(first.nextChecks.first(), first.nextChecks.first().contains("目視確認"))
        assertTrue("no charge decided yet", first.shareWari == null && first.text.indexOf("まず行うこと") < first.text.indexOf("負担:"))
        r.record(ReceptionStep.VISUAL_CHECK, StepResult.FAILED)
        val then = r.screen.value.guidance ?: nope("guidance")
        assertEquals(ReceptionDecision.ACCEPT, then.decision)
        assertTrue(then.text, then.declarationFields.isNotEmpty())
        assertEquals(1, r.screen.value.tried.size)
    }

    @Test
    fun `enrolment refuses a text that is not the clinic's QR code and a code used before`() = runBlocking<Unit> {
        val other = HoumonCore.open(":memory:", Keys(ByteArray(32) { 5 }), false)
        val enrol = EnrolmentController(other)
        assertFalse(enrol.enrol("12345678", "phone"))
        assertEquals(EnrolmentController.NOT_OURS, enrol.screen.value.error)
        val link = clinic.enrolmentLink()
        assertTrue(enrol.enrol(link, "phone"))
        val third = EnrolmentController(HoumonCore.open(":memory:", Keys(ByteArray(32) { 6 }), false))
        assertFalse(third.enrol(link, "another phone"))
        assertTrue(third.screen.value.error ?: "", (third.screen.value.error ?: "").contains("新しい登録用QRコード"))
        assertNull(third.screen.value.enrolment)
    }
}
