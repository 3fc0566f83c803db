// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app

import java.time.Duration
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking
import jp.houmon.app.shell.TagTransport
import jp.houmon.core.AppEvent
import jp.houmon.core.ConsentInput
import jp.houmon.core.DeliveryState
import jp.houmon.core.Effect
import jp.houmon.core.EligibilityStatus
import jp.houmon.core.FeedbackKind
import jp.houmon.core.IdentityMode
import jp.houmon.core.Prescription
import jp.houmon.core.Screen
import jp.houmon.core.TapAnswer
import jp.houmon.core.TestClinic
import jp.houmon.core.VisitScreen
import jp.houmon.core.VisitView
import jp.houmon.core.VisualReason
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test

/**
 * Whole rounds through the Android shell's adapter ([jp.houmon.app.shell.HoumonShell])
 * and the Kotlin bindings, with the host-built core, virtual cards behind
 * the shell's own `IsoDep` transport, and a loopback clinic — the same
 * journeys as `tests/app_journeys.rs`, as the app drives them.
 */
class AppJourneyTest {
    private lateinit var clinic: TestClinic
    private val phones = mutableListOf<Phone>()
    /** Japan's date, taken before anything happens (a journey may cross midnight). */
    private val day = japanToday()

    @Before
    fun start() = runBlocking<Unit> {
        clinic = TestClinic.start()
    }

    @After
    fun stop() = runBlocking<Unit> {
        phones.forEach { it.close() }
        clinic.stop()
    }

    private suspend fun enrolled(name: String, patients: List<String>): Phone {
        val p = Phone.enrolled(clinic, name).also { phones += it }
        clinic.assignRound(p.deviceId(), day.toCalendarDate(), patients)
        p.send(AppEvent.Refresh)
        return p
    }

    private val all = ConsentInput(true, listOf(), Prescription.PAPER)

    private fun delivery(v: VisitView): DeliveryState? = (v.screen as? VisitScreen.Done)?.delivery

    private suspend fun Phone.pinVisit(patient: String, tag: SimulatedIsoDep) {
        send(AppEvent.OpenPatient(patient))
        send(AppEvent.ChooseMode(IdentityMode.PIN))
        typePin("1234")
        assertEquals(TapAnswer.Reading, tap(tag))
        assertTrue("${visit()}", visit().screen is VisitScreen.Consent)
        send(AppEvent.GiveConsent(all))
    }

    private suspend fun Phone.waitSent() = waitFor("sent") { v ->
        (v.screen as? Screen.Visit)?.visit?.let { delivery(it) } == DeliveryState.SENT
    }

    @Test
    fun `a PIN visit goes from the round to the clinic, with reader mode for the whole visit, and the round moves on`() = runBlocking<Unit> {
        val phone = enrolled("pin", listOf("p0", "p1", "p2"))
        val round = phone.round()
        assertEquals(listOf("p0", "p1", "p2"), round.groups[0].patients.map { it.patientId })
        assertEquals("p0", round.nextPatientId)
        assertFalse("no reader mode on the round", phone.view.readerMode)
        assertTrue("the round's names are protected", phone.view.protectScreen)
        phone.send(AppEvent.OpenPatient("p0"))
        assertTrue("reader mode from the mode choice on", phone.view.readerMode && phone.visit().screen is VisitScreen.ChooseMode)
        phone.send(AppEvent.ChooseMode(IdentityMode.PIN))
        assertTrue("reader mode on the PIN pad (a card tapped early stays with the app)", phone.view.readerMode)
        phone.typePin("1234")
        val tag = SimulatedIsoDep(card())
        assertEquals(TapAnswer.Reading, phone.tap(tag))
        assertTrue("${phone.visit()}", phone.visit().screen is VisitScreen.Consent)
        assertTrue("reader mode still on at consent (the card is still on the phone)", phone.view.readerMode)
        assertTrue(phone.platform.take().contains(Effect.Feedback(FeedbackKind.READ_SUCCEEDED)))
        // The signature ran with the raised time-out, restored after.
        assertEquals(TagTransport.DEFAULT_TIMEOUT_MS, tag.timeoutMillis)
        phone.send(AppEvent.GiveConsent(all))
        phone.waitSent()
        assertEquals(1, clinic.storedVisits().size)
        phone.send(AppEvent.FinishVisit)
        assertFalse("reader mode off after the visit", phone.view.readerMode)
        val after = phone.round()
        val p0 = after.groups[0].patients[0]
        assertTrue("$p0", p0.visited && p0.visitedLine!!.contains("送信済み"))
        assertEquals("p1", after.nextPatientId)
        phone.waitFor("eligibility from the clinic") { v ->
            (v.screen as? Screen.Round)?.round?.groups?.get(0)?.patients?.get(0)?.eligibility?.status == EligibilityStatus.VALID
        }
        assertTrue("field timing reached the clinic", clinic.readTimings() >= 1u)
        // Every wake-up the core asked for was at least 30 s ahead: never a zero-delay loop.
        phone.platform.scheduled().forEach { (asked, at) ->
            assertTrue("scheduled $at when asked at $asked", Duration.between(asked, at).seconds >= 29)
        }
    }

    @Test
    fun `a 目視 visit on a face-recognition card shows the photo and records the check`() = runBlocking<Unit> {
        val phone = enrolled("visual", listOf("p0"))
        phone.send(AppEvent.OpenPatient("p0"))
        phone.send(AppEvent.ChooseMode(IdentityMode.VISUAL))
        phone.send(AppEvent.SubmitCollation(COLLATION))
        phone.tap(SimulatedIsoDep(card("face-recognition")))
        val photo = phone.visit().screen as? VisitScreen.ComparePhoto ?: nope("photo: ${phone.visit()}")
        assertTrue(photo.png.size > 100 && photo.note.contains("白黒") && photo.reasons.size == VisualReason.entries.size)
        assertTrue("the photo is protected", phone.view.protectScreen)
        phone.send(AppEvent.PhotoMatches(VisualReason.DEMENTIA_OR_DISABILITY, ""))
        assertTrue("${phone.visit()}", phone.visit().screen is VisitScreen.Consent)
        phone.send(AppEvent.GiveConsent(all))
        phone.waitSent()
    }

    @Test
    fun `another patient's card stops the visit, names whose it is, and sends no PIN`() = runBlocking<Unit> {
        val phone = enrolled("wrong-card", listOf("p0", "p1"))
        val tag = SimulatedIsoDep(card())
        phone.pinVisit("p0", tag)
        phone.waitSent()
        phone.send(AppEvent.FinishVisit)
        phone.waitFor("p0's card on the roster") { v -> (v.screen as? Screen.Round)?.round?.groups?.get(0)?.patients?.get(0)?.cardEnrolled == true }
        tag.card.reinsert()
        val before = tag.card.verifyCount()
        phone.send(AppEvent.OpenPatient("p1"))
        phone.send(AppEvent.ChooseMode(IdentityMode.PIN))
        phone.typePin("1234")
        phone.tap(tag)
        val stop = phone.visit().screen as? VisitScreen.WrongCard ?: nope("stopped: ${phone.visit()}")
        assertEquals("p0", stop.belongsToPatientId)
        assertEquals("no PIN to another patient's card", before, tag.card.verifyCount())
        phone.send(AppEvent.HoldAnotherCard)
        phone.tap(SimulatedIsoDep(card()))
        assertTrue("${phone.visit()}", phone.visit().screen is VisitScreen.Consent)
    }

    @Test
    fun `a card pulled away mid-read resumes on the next tap without the PIN again`() = runBlocking<Unit> {
        val phone = enrolled("tag-lost", listOf("p0"))
        val tag = SimulatedIsoDep(card(tagLostAt = 3u))
        phone.send(AppEvent.OpenPatient("p0"))
        phone.send(AppEvent.ChooseMode(IdentityMode.PIN))
        phone.typePin("1234")
        phone.tap(tag)
        val v = phone.visit()
        val hold = v.screen as? VisitScreen.HoldCard ?: nope("still holding: $v")
        assertFalse(hold.reading)
        assertTrue(hold.line, hold.line.contains("もう一度カードを当ててください"))
        assertNotNull(v.error)
        assertTrue(phone.platform.take().contains(Effect.Feedback(FeedbackKind.CARD_LOST)))
        tag.card.reinsert()
        phone.tap(tag)
        assertTrue("${phone.visit()}", phone.visit().screen is VisitScreen.Consent)
        assertEquals("the PIN went to the card once", 1u, tag.card.verifyCount())
    }

    @Test
    fun `a read goes on when the activity that started it goes away, and a second tap is not another read`() = runBlocking<Unit> {
        val phone = enrolled("dropped", listOf("p0"))
        val gate = SimulatedIsoDep.Gate()
        val tag = SimulatedIsoDep(card(), gate)
        phone.send(AppEvent.OpenPatient("p0"))
        phone.send(AppEvent.ChooseMode(IdentityMode.PIN))
        phone.typePin("1234")
        // The activity hands the card over and is then destroyed (a theme,
        // font or fold change): nothing of it waits for the read.
        assertEquals(TapAnswer.Reading, phone.shell.cardTapped(TagTransport(tag)))
        assertTrue("signs", gate.signing.await(10, TimeUnit.SECONDS))
        // The read runs: the adapter is shown 「読み取り中」 (no settle: the read holds the core busy).
        var shown = phone.shell.view.value
        for (i in 0 until 100) {
            if (((shown.screen as? Screen.Visit)?.visit?.screen as? VisitScreen.HoldCard)?.reading == true) break
            kotlinx.coroutines.delay(50)
            shown = phone.shell.view.value
        }
        val reading = (shown.screen as? Screen.Visit)?.visit?.screen as? VisitScreen.HoldCard ?: nope("reading: ${shown.screen}")
        assertTrue("${reading.line}", reading.reading)
        assertTrue("a card tapped while reading is not read", phone.shell.cardTapped(TagTransport(SimulatedIsoDep(card()))) is TapAnswer.NotNow)
        phone.shell.send(AppEvent.Backgrounded)
        phone.shell.send(AppEvent.Foregrounded)
        gate.release.countDown()
        phone.shell.settle()
        assertTrue("the new activity draws the read's outcome: ${phone.visit()}", phone.visit().screen is VisitScreen.Consent)
        assertEquals(1u, tag.card.verifyCount())
        assertTrue(phone.platform.take().contains(Effect.Feedback(FeedbackKind.NOT_NOW)))
    }

    @Test
    fun `offline visits are kept, never shown as 有効, and go when the network returns`() = runBlocking<Unit> {
        val phone = enrolled("offline", listOf("p0", "p1"))
        phone.send(AppEvent.NetworkChanged(false))
        assertTrue(phone.view.header.offline)
        phone.pinVisit("p0", SimulatedIsoDep(card()))
        assertEquals(DeliveryState.STORED, delivery(phone.visit()))
        assertTrue(phone.view.header.syncLine, phone.view.header.syncLine.contains("オフライン: 未送信 1件"))
        assertTrue(clinic.storedVisits().isEmpty())
        phone.send(AppEvent.FinishVisit)
        val p0 = phone.round().groups[0].patients[0]
        assertTrue("offline, never 有効 from a guess: ${p0.eligibility}", p0.eligibility.status != EligibilityStatus.VALID)
        phone.send(AppEvent.NetworkChanged(true))
        phone.waitFor("sent after the network came back") { it.header.pending == 0u }
        assertEquals(1, clinic.storedVisits().size)
    }

    @Test
    fun `on a shared phone the signed-in nurse compares the photo and the clinic records her`() = runBlocking<Unit> {
        val phone = Phone.enrolled(clinic, "shared").also { phones += it }
        val device = phone.deviceId()
        clinic.addStaff("nurse-8", "在宅 花子", "482915")
        clinic.assignRound(device, day.toCalendarDate(), listOf("p0"))
        clinic.assignFor(device, day.toCalendarDate(), "nurse-8", listOf("p1"))
        phone.send(AppEvent.Refresh)
        assertTrue(phone.round().signInNeeded)
        phone.send(AppEvent.OpenPatient("p1"))
        val signIn = (phone.view.screen as? Screen.SignIn)?.signIn ?: nope("sign in first: ${phone.view.screen}")
        assertTrue(signIn.staff.any { it.name == "在宅 花子" && it.canSignIn })
        phone.send(AppEvent.SignIn("nurse-8", "000000"))
        val wrong = (phone.view.screen as? Screen.SignIn)?.signIn ?: nope("still signing in: ${phone.view.screen}")
        assertTrue("${wrong.error}", wrong.error!!.contains("サインインコードが違います"))
        phone.send(AppEvent.SignIn("nurse-8", "482915"))
        assertEquals("p1", phone.visit().patientId)
        assertTrue("${phone.view.header.staffLine}", phone.view.header.staffLine!!.startsWith("在宅 花子 さん"))
        phone.send(AppEvent.ChooseMode(IdentityMode.VISUAL))
        phone.send(AppEvent.SubmitCollation(COLLATION))
        phone.tap(SimulatedIsoDep(card()))
        val photo = phone.visit().screen as? VisitScreen.ComparePhoto ?: nope("photo: ${phone.visit()}")
        assertEquals("確認する職員: 在宅 花子 さん", photo.checker)
        phone.send(AppEvent.PhotoMatches(VisualReason.DEMENTIA_OR_DISABILITY, ""))
        phone.send(AppEvent.GiveConsent(all))
        val record = (phone.visit().screen as? VisitScreen.Done)?.recordId ?: nope("done: ${phone.visit()}")
        phone.waitSent()
        assertEquals("the clinic recorded her, not the phone's enrolled nurse", "nurse-8", clinic.visitStaff(record))
    }

    @Test
    fun `a facility round logs each card taken from safekeeping and put back`() = runBlocking<Unit> {
        val phone = enrolled("facility", listOf("p4", "p5"))
        val round = phone.round()
        assertEquals("グループホームさくら 2階", round.groups[0].title)
        phone.send(AppEvent.TakeCard("p4"))
        assertEquals(1u, phone.round().cardsOut)
        assertTrue(phone.round().groups[0].patients[0].custody!!.out)
        phone.send(AppEvent.OpenPatient("p4"))
        val choose = phone.visit().screen as? VisitScreen.ChooseMode ?: nope("choose: ${phone.visit()}")
        assertTrue("目視 is the natural mode at a facility", choose.options.any { it.mode == IdentityMode.VISUAL && it.recommended })
        phone.send(AppEvent.CancelVisit)
        phone.send(AppEvent.FinishVisit)
        phone.send(AppEvent.ReturnCard("p4"))
        assertEquals(0u, phone.round().cardsOut)
        phone.waitFor("custody sent") { it.header.pending == 0u }
        assertEquals(listOf("p4:taken", "p4:returned"), clinic.custodyLog(day.toCalendarDate()))
    }

    @Test
    fun `a store that does not open shows the recovery view, and a confirmed reset enrols again`() = runBlocking<Unit> {
        val phone = enrolled("recovery", listOf("p0"))
        phone.send(AppEvent.NetworkChanged(false))
        phone.pinVisit("p0", SimulatedIsoDep(card()))
        phone.close()
        phones.remove(phone)
        // The Keystore lost its key: another key opens nothing.
        val keys = Keys(ByteArray(32) { 8 })
        val again = Phone(phone.db, keys).also { phones += it }
        again.send(AppEvent.NetworkChanged(true))
        val recovery = (again.view.screen as? Screen.Recovery)?.recovery ?: nope("recovery: ${again.view.screen}")
        assertEquals("store.wrong-key", recovery.code)
        assertEquals(1u, recovery.unsent)
        assertFalse(again.view.canGoBack)
        again.send(AppEvent.RetryOpen)
        assertTrue(again.view.screen is Screen.Recovery)
        again.send(AppEvent.StartReset)
        again.send(AppEvent.EnrolmentScanned(clinic.enrolmentLink()))
        val ask = again.view.confirmation ?: nope("asks first: ${again.view}")
        assertTrue(ask.message, ask.message.contains("1件が失われます"))
        assertEquals("nothing wiped before the confirmation", 0, keys.resets.get())
        again.send(AppEvent.Confirm)
        assertTrue("${again.view.screen}", again.view.screen is Screen.Round)
        assertEquals("the Keystore key was reset once", 1, keys.resets.get())
        assertEquals(0u, again.view.header.pending)
    }

    @Test
    fun `a Keystore key that is gone is the recovery view, not a crash`() = runBlocking<Unit> {
        val phone = Phone(Phone.scratch("key-gone"), Keys(ByteArray(32), gone = true)).also { phones += it }
        phone.shell.settle()
        val recovery = (phone.view.screen as? Screen.Recovery)?.recovery ?: nope("recovery: ${phone.view.screen}")
        assertEquals("store.key-unavailable", recovery.code)
        assertTrue(recovery.message.isNotBlank() && recovery.retryLabel == "再試行")
    }

    @Test
    fun `a clinic policy changed by device management applies to the next visit`() = runBlocking<Unit> {
        val phone = enrolled("policy", listOf("p0"))
        val noPin = jp.houmon.app.shell.ManagedPolicy.from { mapOf<String, Any>("allow_pin" to false)[it] }
        phone.send(AppEvent.PolicyChanged(noPin))
        phone.send(AppEvent.OpenPatient("p0"))
        val choose = phone.visit().screen as? VisitScreen.ChooseMode ?: nope("choose: ${phone.visit()}")
        val pin = choose.options.first { it.mode == IdentityMode.PIN }
        assertFalse("the clinic turned PIN checks off", pin.enabled)
        assertNotNull(pin.whyNot)
        assertTrue(choose.options.first { it.mode == IdentityMode.VISUAL }.enabled)
    }

    @Test
    fun `a revoked phone says so and stops asking the OS to wake it`() = runBlocking<Unit> {
        val phone = enrolled("revoked", listOf("p0"))
        phone.send(AppEvent.NetworkChanged(false))
        phone.pinVisit("p0", SimulatedIsoDep(card()))
        phone.send(AppEvent.FinishVisit)
        assertTrue(clinic.revoke(phone.deviceId()))
        val before = phone.platform.take()
        phone.send(AppEvent.NetworkChanged(true))
        assertTrue("${phone.view.header}", phone.view.header.blocked.orEmpty().contains("取り消されています"))
        val effects = phone.platform.take()
        assertFalse("nothing scheduled once revoked: $effects", effects.any { it is Effect.ScheduleSync })
        // The OS holds no wake-up for it: the last request it was given is the cancel.
        val last = (before + effects).lastOrNull { it is Effect.ScheduleSync || it == Effect.CancelScheduledSync }
        assertTrue("the OS job is cancelled: $before / $effects", last == null || last == Effect.CancelScheduledSync)
        // The OS job fires anyway: nothing is scheduled again, the record stays.
        phone.send(AppEvent.SyncDue)
        assertFalse(phone.platform.take().any { it is Effect.ScheduleSync })
        assertEquals(1u, phone.view.header.pending)
    }
}
