// SPDX-License-Identifier: MPL-2.0
// The Kotlin bindings on the JVM (JNA), driving whole visits through an
// async Kotlin transport (a suspend fun, as the Android IsoDep transport is)
// over the core's test-only virtual card. Run by scripts/kotlin-test.sh;
// prints "N passed, N failed" and exits non-zero on any failure.

import jp.houmon.core.*
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import java.io.File
import java.time.LocalDate
import java.time.ZoneId
import java.util.Collections

class Keys(private val key: ByteArray) : KeyProvider {
    override fun databaseKey(): ByteArray = key.copyOf()
    override fun resetDatabaseKey() {}
}

/** The shell's transport: an IsoDep stand-in that answers on the IO dispatcher. */
open class Forward(private val card: TestCard) : CardTransport {
    override suspend fun transceive(apdu: ByteArray): ByteArray =
        withContext(Dispatchers.IO) { card.transceive(apdu) }
    override fun limits(): TransportLimits = card.limits()
}

// The core calls these from its own threads while the test reads them:
// readers get a copy taken under the list's lock (iterating the live list
// threw ConcurrentModificationException in CI).
class Logs : LogSink {
    private val buffer: MutableList<String> = Collections.synchronizedList(mutableListOf())
    val lines: List<String> get() = synchronized(buffer) { buffer.toList() }
    override fun log(level: LogLevel, target: String, message: String) {
        buffer.add("$level $target $message")
    }
}

class Progress : ReadProgressListener {
    private val buffer: MutableList<ReadProgress> = Collections.synchronizedList(mutableListOf())
    val seen: List<ReadProgress> get() = synchronized(buffer) { buffer.toList() }
    override fun onProgress(progress: ReadProgress) {
        buffer.add(progress)
    }
}

const val PIN = "8642"
const val COLLATION = "55021720352285"
val EXTENDED = TransportLimits(true, 65544u, 65538u)

var passed = 0
var failed = 0

fun check(name: String, block: suspend () -> Unit) = runBlocking {
    try {
        block()
        passed++
        println("PASS $name")
    } catch (e: Throwable) {
        failed++
        println("FAIL $name: $e")
    }
}

fun expect(cond: Boolean, what: String) {
    if (!cond) throw AssertionError(what)
}

inline fun <reified T : Throwable> expectThrows(what: String, block: () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("$what: expected ${T::class.simpleName}, got $e")
    }
    throw AssertionError("$what: expected ${T::class.simpleName}, nothing thrown")
}

fun CalendarDate.toLocalDate(): LocalDate = LocalDate.of(year, month.toInt(), day.toInt())
fun LocalDate.toCalendarDate() = CalendarDate(year, monthValue.toUByte(), dayOfMonth.toUByte())
fun todayInJapan(): LocalDate = LocalDate.now(ZoneId.of("Asia/Tokyo"))

suspend fun start(
    core: HoumonCore,
    kind: VisitKind = VisitKind.HOME_CARE,
    patient: String = "p-001",
    roundDay: CalendarDate? = null,
): VisitSession = core.startVisit(VisitStart(patient, kind, null, roundDay))

val ALL = ConsentInput(true, listOf(), Prescription.ELECTRONIC)

suspend fun pinVisit(core: HoumonCore, card: TestCard, patient: String = "p-001", roundDay: CalendarDate? = null): VisitSession {
    val s = start(core, patient = patient, roundDay = roundDay)
    s.chooseMode(IdentityMode.PIN)
    s.enterPin(PIN)
    return s
}

fun main() {
    val logs = Logs()
    setLogSink(logs)
    val db = File.createTempFile("houmon-kotlin", ".sqlite")
    db.delete()
    val key = ByteArray(32) { (it * 7).toByte() }
    val core = runBlocking { HoumonCore.open(db.path, Keys(key), false) }
    // A phone that never enrolled cannot start a visit.
    val notEnrolled = expectThrows<HoumonException.NotRegistered>("before enrolment") {
        runBlocking { start(core) }
    }
    expect(notEnrolled.code == "sync.not-enrolled", "code: ${notEnrolled.code}")
    // The card checks below queue visits locally only: a loopback address
    // that is never contacted (the sync check enrols a second phone).
    core.connect("http://127.0.0.1:9", null, null)

    check("a whole PIN visit through the async transport names each phase and ends durably queued") {
        val day = todayInJapan()
        val card = TestCard("standard", EXTENDED, null, PIN)
        val s = start(core)
        expect(s.step() is VisitStep.ChooseMode, "starts at ChooseMode")
        expect(s.chooseMode(IdentityMode.PIN) is VisitStep.EnterPin, "EnterPin")
        expect(s.enterPin(PIN) is VisitStep.HoldCard, "HoldCard")
        val progress = Progress()
        val step = s.readCard(Forward(card), progress)
        expect(step is VisitStep.IdentityConfirmed, "confirmed, got $step")
        val consent = (step as VisitStep.IdentityConfirmed).consent
        expect(consent.continuesWithMonthlyCare && consent.description.contains("毎月"), "home-care consent: $consent")
        val phases = progress.seen.map { it.phase }.distinct()
        expect(phases == listOf(ReadPhase.READING_CERTIFICATE, ReadPhase.CHECKING_PIN, ReadPhase.SIGNING), "phases: $phases")
        expect(progress.seen.first().message == "証明書を読んでいます", "line: ${progress.seen.first()}")
        expect(progress.seen.any { it.message == "署名しています" }, "signing line")
        val last = progress.seen.last()
        expect(last.done == last.expected && last.done == card.apduCount(), "progress reached the end: $last")
        expect(progress.seen.all { it.done <= it.expected }, "done never passes expected")
        val done = s.giveConsent(ALL)
        expect(done is VisitStep.Done && done.recordId == s.visitId(), "Done($done)")
        expect((done as VisitStep.Done).consent.lapsesAfter.toLocalDate().isAfter(day), "consent date typed: ${done.consent}")
        val pending = core.queue(QueueState.PENDING)
        val entry = pending.first { it.id == s.visitId() }
        expect(java.time.Duration.between(entry.createdAt, java.time.Instant.now()).seconds < 60, "createdAt is an Instant: ${entry.createdAt}")
    }

    check("a whole visual visit shows the photo and records the staff check") {
        val card = TestCard("face-recognition", EXTENDED, null, null)
        val s = start(core, VisitKind.FACILITY)
        s.chooseMode(IdentityMode.VISUAL)
        s.enterCollation(COLLATION)
        val progress = Progress()
        val photo = s.readCard(Forward(card), progress)
        expect(photo is VisitStep.ComparePhoto, "ComparePhoto, got $photo")
        val png = (photo as VisitStep.ComparePhoto).png
        expect(png[1] == 'P'.code.toByte() && png[2] == 'N'.code.toByte(), "a PNG")
        expect(photo.width == 150u && photo.height == 200u, "150x200")
        expect(progress.seen.any { it.phase == ReadPhase.READING_PHOTO && it.message == "顔写真を読んでいます" }, "photo phase")
        expect(s.photoMatches("nurse-7", VisualReason.DEMENTIA_OR_DISABILITY, "") is VisitStep.IdentityConfirmed, "confirmed")
        expect(s.giveConsent(ConsentInput(false, listOf(ConsentCategory.YZK), Prescription.PAPER)) is VisitStep.Done, "Done")
    }

    check("every transport-limit combination reads within the limits in the planned APDUs") {
        var visits = 0
        for (extended in listOf(true, false)) {
            for (maxResponse in listOf(258u, 1024u, 1700u, 65538u)) {
                for (mode in listOf(IdentityMode.PIN, IdentityMode.VISUAL)) {
                    val limits = TransportLimits(extended, if (extended) 65544u else 261u, maxResponse)
                    val card = TestCard("standard", limits, null, PIN)
                    val s = start(core)
                    s.chooseMode(mode)
                    if (mode == IdentityMode.PIN) s.enterPin(PIN) else s.enterCollation(COLLATION)
                    val step = s.readCard(Forward(card), null)
                    val ok = if (mode == IdentityMode.PIN) step is VisitStep.IdentityConfirmed else step is VisitStep.ComparePhoto
                    expect(ok, "$limits $mode: $step")
                    expect(card.oversizedAnswers() == 0u, "$limits $mode: an answer over the limit")
                    expect(card.apduCount() == card.plannedApdus(mode), "$limits $mode: ${card.apduCount()} APDUs, planned ${card.plannedApdus(mode)}")
                    s.cancel()
                    visits++
                }
            }
        }
        expect(visits == 16, "16 combinations")
    }

    check("an iPhone-like reader (short APDUs, answers ≤ 1 KB) reads both modes") {
        val limits = iphoneTransportLimits()
        expect(!limits.extendedLength && limits.maxResponse == 1024u, "$limits")
        val card = TestCard("standard", limits, null, PIN)
        val s = pinVisit(core, card)
        expect(s.readCard(Forward(card), null) is VisitStep.IdentityConfirmed, "PIN mode")
        expect(card.oversizedAnswers() == 0u, "no answer over 1 KB")
    }

    check("a face-recognition card takes PIN mode away, with a typed reason") {
        val card = TestCard("face-recognition", EXTENDED, null, null)
        val s = start(core)
        s.chooseMode(IdentityMode.PIN)
        s.enterPin(PIN)
        val step = s.readCard(Forward(card), null)
        expect(step is VisitStep.ChooseMode && step.offered == listOf(IdentityMode.VISUAL), "only visual: $step")
        val why = (step as VisitStep.ChooseMode).unavailable.single()
        expect(why.reason == UnavailableReason.PIN_NOT_SET && why.message.contains("顔認証"), "typed reason: $why")
        expect(card.verifyCount() == 0u, "no PIN sent")
        expectThrows<HoumonException.InvalidInput>("PIN not offered") { s.chooseMode(IdentityMode.PIN) }
    }

    check("a wrong PIN throws WrongSecret with the tries left and a stable code") {
        val card = TestCard("standard", EXTENDED, null, PIN)
        val s = start(core)
        s.chooseMode(IdentityMode.PIN)
        s.enterPin("0000")
        val e = expectThrows<HoumonException.WrongSecret>("wrong PIN") { runBlocking { s.readCard(Forward(card), null) } }
        expect(e.triesLeft.toInt() == 2 && e.secret == SecretKind.PIN, "2 tries left: $e")
        expect(e.code == "card.wrong-pin" && e.detail.isNotEmpty(), "code and detail: ${e.code} ${e.detail}")
        expect(e.staffMessage.contains("残り2回"), "Japanese message: ${e.staffMessage}")
        expect(s.step() is VisitStep.EnterPin, "back at EnterPin")
        s.enterPin(PIN)
        expect(s.readCard(Forward(card), null) is VisitStep.IdentityConfirmed, "then confirmed")
    }

    check("a card pulled away mid-read throws CardRemoved and holding it again resumes") {
        for (lostAt in listOf(2u, 4u)) {
            val card = TestCard("standard", TransportLimits(false, 261u, 258u), lostAt, PIN)
            val s = pinVisit(core, card)
            val e = expectThrows<HoumonException.CardRemoved>("pulled away at $lostAt") { runBlocking { s.readCard(Forward(card), null) } }
            expect(e.code == "card.tag-lost" && e.staffMessage.contains("カード"), "message: ${e.code} ${e.staffMessage}")
            expect(s.step() is VisitStep.HoldCard, "still at HoldCard: ${s.step()}")
            card.reinsert()
            expect(s.readCard(Forward(card), null) is VisitStep.IdentityConfirmed, "resumed without re-entering the PIN")
        }
    }

    check("step() answers and cancel() stops while the card is slow to answer") {
        val card = TestCard("standard", EXTENDED, null, PIN)
        val s = pinVisit(core, card)
        // Counted on the core's threads, polled here: an atomic, not a plain var.
        val calls = java.util.concurrent.atomic.AtomicInteger()
        val slow = object : Forward(card) {
            override suspend fun transceive(apdu: ByteArray): ByteArray {
                if (calls.incrementAndGet() == 3) delay(2_000) // the card is slow (a signature, a weak field)
                return super.transceive(apdu)
            }
        }
        runBlocking {
            val read = async(Dispatchers.Default) {
                runCatching { s.readCard(slow, null) }
            }
            while (calls.get() < 3) delay(10)
            val t0 = System.nanoTime()
            expect(s.step() is VisitStep.HoldCard && s.isReading(), "answers during the read: ${s.step()}")
            expect(s.cancel() == VisitStep.Cancelled, "cancelled")
            val ms = (System.nanoTime() - t0) / 1_000_000
            expect(ms < 500, "answered at once: $ms ms")
            val r = read.await()
            expect(r.exceptionOrNull() is HoumonException.Cancelled, "the read throws Cancelled: $r")
        }
        expect(card.verifyCount() == 0u, "the PIN never reached the card")
        expectThrows<HoumonException.WrongStep>("nothing after cancel") { s.enterPin(PIN) }
    }

    check("the last try needs the patient's explicit confirmation") {
        val card = TestCard("one-try-left", EXTENDED, null, PIN)
        val s = pinVisit(core, card)
        expect(s.readCard(Forward(card), null) is VisitStep.ConfirmLastTry, "ConfirmLastTry")
        expect(card.verifyCount() == 0u, "nothing tried yet")
        expect(s.confirmLastTry() is VisitStep.HoldCard, "HoldCard")
        expect(s.readCard(Forward(card), null) is VisitStep.IdentityConfirmed, "confirmed")
    }

    check("a card without a photo takes visual mode away") {
        val card = TestCard("no-photo", EXTENDED, null, PIN)
        val s = start(core)
        s.chooseMode(IdentityMode.VISUAL)
        s.enterCollation(COLLATION)
        val step = s.readCard(Forward(card), null)
        expect(step is VisitStep.ChooseMode && step.offered == listOf(IdentityMode.PIN), "only PIN: $step")
        val why = (step as VisitStep.ChooseMode).unavailable.single()
        expect(why.reason == UnavailableReason.NO_PHOTO && why.message.contains("写真"), "reason: $why")
    }

    check("a photo that does not match refuses identity with a typed reason") {
        val card = TestCard("standard", EXTENDED, null, PIN)
        val s = start(core)
        s.chooseMode(IdentityMode.VISUAL)
        s.enterCollation(COLLATION)
        s.readCard(Forward(card), null)
        val step = s.photoDoesNotMatch()
        expect(step is VisitStep.IdentityRefused && step.reason == RefusalReason.PhotoMismatch && step.message.contains("一致しない"), "refused: $step")
        expectThrows<HoumonException.WrongStep>("no consent after a refusal") { runBlocking { s.giveConsent(ALL) } }
    }

    check("an expired certificate is refused with the date its grace ended") {
        val card = TestCard("expired", EXTENDED, null, PIN)
        val s = pinVisit(core, card)
        val step = s.readCard(Forward(card), null)
        expect(step is VisitStep.IdentityRefused && step.reason is RefusalReason.CertificateExpired, "refused: $step")
        val ended = ((step as VisitStep.IdentityRefused).reason as RefusalReason.CertificateExpired).graceEnded
        expect(ended.isBefore(java.time.Instant.now()), "an Instant in the past: $ended")
    }

    check("a house call's consent holds for this visit only, dated today") {
        // Japan's date before and after the visit: the visit's day is one of them
        // (taken only after the visit, a run across JST midnight would fail).
        val before = todayInJapan()
        val card = TestCard("standard", TransportLimits(false, 261u, 258u), null, PIN)
        val s = start(core, VisitKind.HOUSE_CALL)
        s.chooseMode(IdentityMode.PIN)
        s.enterPin(PIN)
        val step = s.readCard(Forward(card), null)
        expect(step is VisitStep.IdentityConfirmed, "confirmed: $step")
        val c = (step as VisitStep.IdentityConfirmed).consent
        expect(!c.continuesWithMonthlyCare && c.description.contains("今回の訪問のみ"), "rule: $c")
        val after = todayInJapan()
        expect(c.lapsesAfter.toLocalDate() in setOf(before, after), "lapses today: ${c.lapsesAfter}")
    }

    check("a malformed PIN or an impossible date is refused before the card") {
        val s = start(core)
        s.chooseMode(IdentityMode.PIN)
        val e = expectThrows<HoumonException.InvalidInput>("3 digits") { s.enterPin("123") }
        expect(e.code == "input.pin-format", "code: ${e.code}")
        expectThrows<HoumonException.InvalidInput>("31 February") {
            runBlocking { core.startVisit(VisitStart(null, VisitKind.HOME_CARE, CalendarDate(2026, 2u, 31u), null)) }
        }
    }

    check("reception guidance from a typed situation: the steps first, 10割 only after them") {
        val notice = ReceptionSituation(
            CalendarDate(2026, 8u, 1u), null, 40u, null, VisitHistory.FirstVisit, OnlineCheck.NOW,
            listOf(PresentedDocument.QualificationNotice(3u, null)), null, listOf(), CareSetting.HOME,
        )
        val g = assessReception(notice, null)
        expect(g.decision == ReceptionDecision.TRY_FIRST && !g.accepted && g.shareWari == null, "steps first: ${g.text}")
        expect(g.nextChecks.any { it.contains("保険者に電話") }, "phone the insurer: ${g.nextChecks}")
        expect(g.warnings.any { it.uncertain }, "要確認 shown")
        val failed = listOf(ReceptionStep.ASK_CARD, ReceptionStep.FAMILY_BRINGS_DOCUMENT, ReceptionStep.PHONE_INSURER)
            .map { StepTaken(it, StepResult.FAILED, null) }
        val after = assessReception(notice.copy(tried = failed), null)
        expect(after.decision == ReceptionDecision.FULL_CHARGE && after.shareWari == 10.toUByte(), "10割 after every step: ${after.text}")
        expect(after.tried.size == 3, "the steps tried are listed: ${after.tried}")
        val welfare = assessReception(notice.copy(documents = listOf(PresentedDocument.MedicalAssistance(true, null))), null)
        expect(welfare.accepted && welfare.shareWari == 0.toUByte() && welfare.text.contains("法別番号12"), "医療扶助: ${welfare.text}")
        expectThrows<HoumonException.InvalidInput>("age 300") {
            assessReception(notice.copy(age = 300u), null)
        }
    }

    check("a wrong database key is a WrongKey exception") {
        val e = expectThrows<HoumonException.WrongKey>("wrong key") {
            runBlocking { HoumonCore.open(db.path, Keys(ByteArray(32)), false) }
        }
        expect(e.code == "store.wrong-key", e.code)
    }

    check("a visit syncs to the clinic, the server's result shows typed, and the roster knows the card") {
        val clinic = TestClinic.start()
        val phoneDb = File.createTempFile("houmon-kotlin-phone", ".sqlite")
        phoneDb.delete()
        val phone = HoumonCore.open(phoneDb.path, Keys(ByteArray(32) { (it * 5).toByte() }), false)
        try {
            val link = clinic.enrolmentLink()
            expect(link.startsWith("houmon://enrol?"), "QR text: $link")
            val enrolment = phone.enrol(link, "JVM test phone")
            expect(enrolment.staffId == "nurse-7" && enrolment.serverPin!!.startsWith("sha256:"), "enrolled: $enrolment")
            expect(phone.enrolment() == enrolment, "kept")
            val used = expectThrows<HoumonException.NotRegistered>("a code is used once") {
                runBlocking { HoumonCore.open(":memory:", Keys(ByteArray(32)), false).enrol(link, "second phone") }
            }
            expect(used.code == "sync.enrolment-refused" && used.staffMessage.contains("新しい登録用QRコード"), "refused: $used")
            val today = todayInJapan().toCalendarDate()
            clinic.assignRound(enrolment.deviceId, today, listOf("p0", "p1", "p2", "p3", "p4", "p5"))
            val core = phone
            val unknown = core.eligibility("p0")
            expect(unknown.status == EligibilityStatus.UNKNOWN && unknown.label.contains("未確認"), "nothing before the server answers: $unknown")
            val roster = core.roster(today)
            expect(roster.fresh && roster.patients.size == 6 && roster.day == today, "roster: $roster")
            expect(roster.patients.all { it.eligibility.status == EligibilityStatus.UNKNOWN && !it.cardEnrolled }, "no result yet")
            core.setOnline(false)
            val card = TestCard("standard", EXTENDED, null, PIN)
            val s = pinVisit(core, card, "p0", today)
            s.readCard(Forward(card), null)
            s.giveConsent(ALL)
            expectThrows<HoumonException.Network>("offline") { runBlocking { core.syncNow() } }
            expect(core.queue(QueueState.PENDING).any { it.id == s.visitId() }, "kept while offline")
            core.setOnline(true)
            var summary = core.syncNow()
            expect(summary.sent >= 1u && summary.nextRetryAt == null && summary.resultsError == null, "sent, nothing left to retry: $summary")
            expect(clinic.storedVisits().contains(s.visitId()), "on the server")
            var view = core.eligibility("p0")
            var waited = 0
            while (view.status != EligibilityStatus.VALID && waited < 100) {
                delay(100)
                core.syncNow()
                view = core.eligibility("p0")
                waited++
            }
            expect(view.status == EligibilityStatus.VALID && view.shareWari == 3.toUByte() && view.checkedAt != null, "typed result: $view")
            expect(view.label.contains("有効 (3割)"), "label: ${view.label}")
            val refreshed = core.roster(today)
            expect(refreshed.patients.first { it.patientId == "p0" }.cardEnrolled, "enrolled after the first PIN visit")

            // p0's card held for p1: the visit stops and names p0 (offline, from the kept roster).
            core.setOnline(false)
            val wrong = pinVisit(core, card, "p1", today)
            val stop = wrong.readCard(Forward(card), null)
            expect(stop is VisitStep.WrongCard && stop.belongsToPatientId == "p0" && stop.message.contains("患者 0"), "stopped: $stop")
            expect(card.verifyCount() == 1u, "no PIN sent for p1 (only p0's visit verified)")
            expect(wrong.holdAnotherCard() is VisitStep.HoldCard, "hold another card")
            wrong.cancel()

            // Another card for p0, who has one on file: staff confirm a reissued card.
            val reissued = TestCard("standard", EXTENDED, null, PIN)
            val again = pinVisit(core, reissued, "p0", today)
            val ask = again.readCard(Forward(reissued), null)
            expect(ask is VisitStep.ConfirmNewCard && ask.message.contains("再発行"), "asks: $ask")
            expect(again.confirmNewCard() is VisitStep.HoldCard, "confirmed")
            expect(again.readCard(Forward(reissued), null) is VisitStep.IdentityConfirmed, "then goes on")
            again.cancel()

            val offlineView = core.eligibility("p0")
            expect(offlineView.offline && offlineView.label.contains("オフライン表示"), "marked offline: $offlineView")
            val offline = core.roster(today)
            expect(!offline.fresh, "the kept copy offline")
            val p0 = offline.patients.first { it.patientId == "p0" }
            expect(p0.cardEnrolled && p0.eligibility.offline, "p0 offline: $p0")
        } finally {
            clinic.stop()
            phone.close()
            phoneDb.delete()
        }
    }

    check("logs reach the shell with error codes and never hold the PIN") {
        expect(logs.lines.any { it.contains("core opened") }, "log lines: ${logs.lines.size}")
        expect(logs.lines.any { it.contains("card.wrong-pin") }, "error codes logged at the boundary")
        expect(logs.lines.none { it.contains(PIN) || it.contains(COLLATION) }, "no secret in logs")
    }

    core.close()
    db.delete()
    println("$passed passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
