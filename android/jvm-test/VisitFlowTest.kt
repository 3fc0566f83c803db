// SPDX-License-Identifier: MPL-2.0
// The Kotlin bindings on the JVM (JNA), driving whole visits against the
// core's test-only virtual card. Run by scripts/kotlin-test.sh; prints
// "N passed, N failed" and exits non-zero on any failure.

import jp.houmon.core.*
import kotlinx.coroutines.runBlocking
import java.io.File
import java.util.Collections

class Keys(private val key: ByteArray) : KeyProvider {
    override fun databaseKey(): ByteArray = key.copyOf()
}

/** The shell's transport, forwarding to the virtual card (an IsoDep stand-in). */
open class Forward(private val card: TestCard) : CardTransport {
    override fun transceive(apdu: ByteArray): ByteArray = card.transceive(apdu)
    override fun supportsExtendedLength(): Boolean = card.supportsExtendedLength()
}

class Logs : LogSink {
    val lines: MutableList<String> = Collections.synchronizedList(mutableListOf())
    override fun log(level: LogLevel, target: String, message: String) {
        lines.add("$level $target $message")
    }
}

class Progress : ReadProgressListener {
    val seen: MutableList<Pair<UInt, UInt>> = Collections.synchronizedList(mutableListOf())
    override fun onProgress(done: UInt, expected: UInt) {
        seen.add(done to expected)
    }
}

const val PIN = "8642"
const val COLLATION = "55021720352285"

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

fun start(core: HoumonCore, kind: VisitKind = VisitKind.HOME_CARE): VisitSession =
    core.startVisit(VisitStart("p-001", kind, "nurse-7", "device-3", null))

val ALL = ConsentInput(true, listOf(), Prescription.ELECTRONIC)

fun main() {
    val logs = Logs()
    setLogSink(logs)
    val db = File.createTempFile("houmon-kotlin", ".sqlite")
    db.delete()
    val key = ByteArray(32) { (it * 7).toByte() }
    val core = runBlocking { HoumonCore.open(db.path, Keys(key), false) }

    check("a whole PIN visit ends in a durable queued record") {
        val card = TestCard("standard", true, null, PIN)
        val s = start(core)
        expect(s.step() is VisitStep.ChooseMode, "starts at ChooseMode")
        expect(s.chooseMode(IdentityMode.PIN) is VisitStep.EnterPin, "EnterPin")
        expect(s.enterPin(PIN) is VisitStep.HoldCard, "HoldCard")
        val progress = Progress()
        val step = s.readCard(Forward(card), progress)
        expect(step is VisitStep.IdentityConfirmed, "confirmed, got $step")
        expect((step as VisitStep.IdentityConfirmed).consentRule.contains("毎月"), "home-care consent rule")
        expect(progress.seen.last() == (6u to 6u), "progress reached 6/6: ${progress.seen}")
        val done = s.giveConsent(ALL)
        expect(done == VisitStep.Done(s.visitId()), "Done($done)")
        val pending = core.queue(QueueState.PENDING)
        expect(pending.any { it.id == s.visitId() }, "queued: $pending")
    }

    check("a whole visual visit shows the photo and records the staff check") {
        val card = TestCard("face-recognition", true, null, null)
        val s = start(core, VisitKind.FACILITY)
        s.chooseMode(IdentityMode.VISUAL)
        s.enterCollation(COLLATION)
        val photo = s.readCard(Forward(card), null)
        expect(photo is VisitStep.ComparePhoto, "ComparePhoto, got $photo")
        val png = (photo as VisitStep.ComparePhoto).png
        expect(png[1] == 'P'.code.toByte() && png[2] == 'N'.code.toByte(), "a PNG")
        expect(photo.width == 150u && photo.height == 200u, "150x200")
        expect(s.photoMatches("nurse-7", VisualReason.DEMENTIA_OR_DISABILITY, "") is VisitStep.IdentityConfirmed, "confirmed")
        expect(s.giveConsent(ConsentInput(false, listOf(ConsentCategory.YZK), Prescription.PAPER)) is VisitStep.Done, "Done")
    }

    check("a face-recognition card takes PIN mode away") {
        val card = TestCard("face-recognition", true, null, null)
        val s = start(core)
        s.chooseMode(IdentityMode.PIN)
        s.enterPin(PIN)
        val step = s.readCard(Forward(card), null)
        expect(step is VisitStep.ChooseMode && step.offered == listOf(IdentityMode.VISUAL), "only visual: $step")
        expect(card.verifyCount() == 0u, "no PIN sent")
        expectThrows<HoumonException.InvalidInput>("PIN not offered") { s.chooseMode(IdentityMode.PIN) }
    }

    check("a wrong PIN throws WrongSecret with the tries left") {
        val card = TestCard("standard", true, null, PIN)
        val s = start(core)
        s.chooseMode(IdentityMode.PIN)
        s.enterPin("0000")
        val e = expectThrows<HoumonException.WrongSecret>("wrong PIN") { runBlocking { s.readCard(Forward(card), null) } }
        expect(e.triesLeft.toInt() == 2 && e.secret == SecretKind.PIN, "2 tries left: $e")
        expect(e.staffMessage.contains("残り2回"), "Japanese message: ${e.staffMessage}")
        expect(s.step() is VisitStep.EnterPin, "back at EnterPin")
        s.enterPin(PIN)
        expect(s.readCard(Forward(card), null) is VisitStep.IdentityConfirmed, "then confirmed")
    }

    check("a card pulled away throws CardRemoved and holding it again resumes") {
        val card = TestCard("standard", true, 2u, PIN)
        val s = start(core)
        s.chooseMode(IdentityMode.PIN)
        s.enterPin(PIN)
        val e = expectThrows<HoumonException.CardRemoved>("pulled away") { runBlocking { s.readCard(Forward(card), null) } }
        expect(e.staffMessage.contains("カード"), "message: ${e.staffMessage}")
        expect(s.step() is VisitStep.HoldCard, "still at HoldCard: ${s.step()}")
        card.reinsert()
        expect(s.readCard(Forward(card), null) is VisitStep.IdentityConfirmed, "resumed without re-entering the PIN")
    }

    check("cancel during a read throws Cancelled and stops before the next APDU") {
        val card = TestCard("standard", true, null, PIN)
        val s = start(core)
        s.chooseMode(IdentityMode.PIN)
        s.enterPin(PIN)
        var calls = 0
        val cancelling = object : Forward(card) {
            override fun transceive(apdu: ByteArray): ByteArray {
                calls++
                if (calls == 2) s.cancel()
                return super.transceive(apdu)
            }
        }
        expectThrows<HoumonException.Cancelled>("cancelled") { runBlocking { s.readCard(cancelling, null) } }
        expect(calls == 2, "no APDU after the cancel: $calls")
        expect(s.step() == VisitStep.Cancelled, "Cancelled step")
        expect(card.verifyCount() == 0u, "the PIN never reached the card")
        expectThrows<HoumonException.WrongStep>("nothing after cancel") { s.enterPin(PIN) }
    }

    check("the last try needs the patient's explicit confirmation") {
        val card = TestCard("one-try-left", true, null, PIN)
        val s = start(core)
        s.chooseMode(IdentityMode.PIN)
        s.enterPin(PIN)
        expect(s.readCard(Forward(card), null) is VisitStep.ConfirmLastTry, "ConfirmLastTry")
        expect(card.verifyCount() == 0u, "nothing tried yet")
        expect(s.confirmLastTry() is VisitStep.HoldCard, "HoldCard")
        expect(s.readCard(Forward(card), null) is VisitStep.IdentityConfirmed, "confirmed")
    }

    check("a card without a photo takes visual mode away") {
        val card = TestCard("no-photo", true, null, PIN)
        val s = start(core)
        s.chooseMode(IdentityMode.VISUAL)
        s.enterCollation(COLLATION)
        val step = s.readCard(Forward(card), null)
        expect(step is VisitStep.ChooseMode && step.offered == listOf(IdentityMode.PIN), "only PIN: $step")
        expect((step as VisitStep.ChooseMode).unavailable.single().reason.contains("写真"), "reason shown")
    }

    check("a photo that does not match refuses identity") {
        val card = TestCard("standard", true, null, PIN)
        val s = start(core)
        s.chooseMode(IdentityMode.VISUAL)
        s.enterCollation(COLLATION)
        s.readCard(Forward(card), null)
        val step = s.photoDoesNotMatch()
        expect(step is VisitStep.IdentityRefused && step.message.contains("一致しない"), "refused: $step")
        expectThrows<HoumonException.WrongStep>("no consent after a refusal") { runBlocking { s.giveConsent(ALL) } }
    }

    check("a house call's consent holds for this visit only") {
        val card = TestCard("standard", false, null, PIN)
        val s = start(core, VisitKind.HOUSE_CALL)
        s.chooseMode(IdentityMode.PIN)
        s.enterPin(PIN)
        val step = s.readCard(Forward(card), null)
        expect(step is VisitStep.IdentityConfirmed && step.consentRule.contains("今回の訪問のみ"), "rule: $step")
    }

    check("a malformed PIN is refused before the card") {
        val s = start(core)
        s.chooseMode(IdentityMode.PIN)
        expectThrows<HoumonException.InvalidInput>("3 digits") { s.enterPin("123") }
    }

    check("reception guidance through the FFI") {
        val g = assessReception(
            """{"date":"2026-08-01","age":40,"history":{"kind":"first-visit"},"online_check":"now",
               "documents":[{"kind":"qualification-notice","share_printed":3}]}""", null)
        expect(!g.accepted && g.shareWari == 10.toUByte(), "10割 after the temporary measure: ${g.text}")
        expect(g.warnings.any { it.uncertain }, "要確認 shown")
        expectThrows<HoumonException.InvalidInput>("age 300") {
            assessReception("""{"date":"2026-08-01","age":300,"history":{"kind":"first-visit"},"online_check":"now"}""", null)
        }
    }

    check("a wrong database key is a WrongKey exception") {
        expectThrows<HoumonException.WrongKey>("wrong key") {
            runBlocking { HoumonCore.open(db.path, Keys(ByteArray(32)), false) }
        }
    }

    check("a visit syncs to the clinic server and only its result shows as eligibility") {
        val clinic = TestClinic.start("kt-enrol")
        try {
            core.connect(clinic.url(), null)
            val token = core.register("device-3", "JVM test phone", "kt-enrol")
            expect(token.length >= 32, "token")
            expect(core.eligibility("p0").contains("未確認"), "nothing before the server answers")
            val today = java.time.LocalDate.now().toString()
            val roster = core.roster(today)
            expect(roster.fresh && roster.patients.size == 6, "roster: $roster")
            expect(roster.patients.all { it.eligibility.contains("未確認") && !it.cardEnrolled }, "no result yet")
            core.setOnline(false)
            val card = TestCard("standard", true, null, PIN)
            val s = core.startVisit(VisitStart("p0", VisitKind.HOME_CARE, "nurse-7", "device-3", null))
            s.chooseMode(IdentityMode.PIN)
            s.enterPin(PIN)
            s.readCard(Forward(card), null)
            s.giveConsent(ALL)
            expectThrows<HoumonException.Network>("offline") { runBlocking { core.syncNow() } }
            expect(core.queue(QueueState.PENDING).any { it.id == s.visitId() }, "kept while offline")
            core.setOnline(true)
            var summary = core.syncNow()
            expect(summary.sent >= 1u && summary.nextRetryAt == null, "sent, nothing left to retry: $summary")
            expect(clinic.storedVisits().contains(s.visitId()), "on the server")
            var label = core.eligibility("p0")
            var waited = 0
            while (!label.contains("有効") && waited < 100) {
                kotlinx.coroutines.delay(100)
                core.syncNow()
                label = core.eligibility("p0")
                waited++
            }
            expect(label.contains("有効 (3割)"), "eligibility from the server: $label")
            val refreshed = core.roster(today)
            expect(refreshed.patients.first { it.patientId == "p0" }.cardEnrolled, "enrolled after the first PIN visit")
            core.setOnline(false)
            expect(core.eligibility("p0").contains("オフライン表示"), "marked offline: ${core.eligibility("p0")}")
            val offline = core.roster(today)
            expect(!offline.fresh, "the kept copy offline")
            val p0 = offline.patients.first { it.patientId == "p0" }
            expect(p0.cardEnrolled && p0.eligibility.contains("オフライン表示"), "p0 offline: $p0")
        } finally {
            core.setOnline(true)
            clinic.stop()
        }
    }

    check("logs reach the shell and never hold the PIN") {
        expect(logs.lines.any { it.contains("core opened") }, "log lines: ${logs.lines.size}")
        expect(logs.lines.none { it.contains(PIN) }, "no PIN in logs")
    }

    core.close()
    db.delete()
    println("$passed passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
