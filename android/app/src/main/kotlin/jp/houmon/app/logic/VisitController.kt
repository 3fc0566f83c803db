// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.logic

import java.time.LocalDate
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import jp.houmon.core.CardTransport
import jp.houmon.core.ConsentCategory
import jp.houmon.core.ConsentInput
import jp.houmon.core.HoumonCore
import jp.houmon.core.HoumonException
import jp.houmon.core.IdentityMode
import jp.houmon.core.Prescription
import jp.houmon.core.QueueState
import jp.houmon.core.ReadProgress
import jp.houmon.core.ReadProgressListener
import jp.houmon.core.VisitKind
import jp.houmon.core.VisitSession
import jp.houmon.core.VisitStart
import jp.houmon.core.VisitStep
import jp.houmon.core.VisualReason

/**
 * The screen model of one visit. It holds the core's [VisitSession] and
 * turns each [VisitStep] into a [VisitScreen]; staff input goes straight to
 * the core. Nothing here decides what is allowed: the core does.
 *
 * Secrets: [submitPin] and [submitCollation] take the digits as a
 * `CharArray`, wipe it, and keep no reference to the text they hand the
 * core (a JVM `String` cannot be wiped; it lives only for the call).
 *
 * Threads: every method may be called from the main thread; the suspend
 * ones call the core's async functions (which run on the core's runtime).
 * [screen] is updated from the core's progress callbacks too.
 */
class VisitController(
    private val core: HoumonCore,
    /** Who checks the photo in 目視 mode: the staff member the phone is enrolled for. */
    private val staffId: String,
    /** Where this phone's NFC antenna is, in words (`platform/Antenna.kt`). */
    private val antennaHint: String = "スマートフォンの背面",
    /** Told when a record is stored (the app then tries to send it). */
    private val onStored: (recordId: String) -> Unit = {},
) {
    private val _screen = MutableStateFlow<VisitScreen>(VisitScreen.Starting())
    val screen: StateFlow<VisitScreen> = _screen.asStateFlow()

    private var session: VisitSession? = null
    var patientId: String? = null
        private set
    private var patientName: String? = null

    /** Whether NFC reader mode should be on (only while the card is wanted). */
    val wantsCard: Boolean
        get() = (screen.value as? VisitScreen.HoldCard)?.reading == false

    suspend fun start(patientId: String?, patientName: String?, kind: VisitKind, roundDay: LocalDate?) {
        session?.let { runCatching { it.cancel() } }
        session = null
        this.patientId = patientId
        this.patientName = patientName
        _screen.value = VisitScreen.Starting()
        try {
            val s = core.startVisit(VisitStart(patientId, kind, null, roundDay?.toCalendarDate()))
            session = s
            render(s.step())
        } catch (e: HoumonException) {
            _screen.value = VisitScreen.Starting(error = e.staffText)
        }
    }

    fun chooseMode(mode: IdentityMode) = act { it.chooseMode(mode) }

    fun submitPin(digits: CharArray) {
        val text = String(digits)
        digits.fill('\u0000')
        act { it.enterPin(text) }
    }

    fun submitCollation(digits: CharArray) {
        val text = String(digits)
        digits.fill('\u0000')
        act { it.enterCollation(text) }
    }

    fun confirmLastTry() = act { it.confirmLastTry() }

    fun backToModeChoice() = act { it.backToModeChoice() }

    fun holdAnotherCard() = act { it.holdAnotherCard() }

    fun confirmNewCard() = act { it.confirmNewCard() }

    fun photoMatches(reason: VisualReason, note: String) = act { it.photoMatches(staffId, reason, note) }

    fun photoDoesNotMatch() = act { it.photoDoesNotMatch() }

    fun cancel() {
        val s = session ?: return
        render(s.cancel())
    }

    /**
     * A card was presented (reader mode found an ISO-DEP tag). Ignored
     * unless the visit waits for a card; a second tag while reading is
     * ignored too. A card pulled away leaves the visit at "hold the card":
     * the next tap resumes, without the PIN again.
     */
    suspend fun onCard(transport: CardTransport) {
        val s = session ?: return
        val hold = screen.value as? VisitScreen.HoldCard ?: return
        if (hold.reading || s.isReading()) return
        _screen.value = hold.copy(reading = true, done = 0, error = null)
        val listener = object : ReadProgressListener {
            override fun onProgress(progress: ReadProgress) {
                val now = _screen.value as? VisitScreen.HoldCard ?: return
                _screen.value = now.copy(
                    line = progress.message,
                    done = progress.done.toInt(),
                    expected = progress.expected.toInt(),
                )
            }
        }
        try {
            render(s.readCard(transport, listener))
        } catch (e: HoumonException) {
            failed(s, e)
        }
    }

    suspend fun giveConsent(comprehensive: Boolean, categories: List<ConsentCategory>, prescription: Prescription) {
        val s = session ?: return
        try {
            render(s.giveConsent(ConsentInput(comprehensive, categories, prescription)))
        } catch (e: HoumonException) {
            failed(s, e)
        }
    }

    /** After a sync: did this visit's record reach the clinic? */
    suspend fun refreshDelivery() {
        val done = screen.value as? VisitScreen.Done ?: return
        try {
            val wedged = core.queue(QueueState.WEDGED).firstOrNull { it.id == done.recordId }
            val sent = core.queue(QueueState.SENT).any { it.id == done.recordId }
            _screen.value = when {
                wedged != null -> done.copy(delivery = Delivery.WEDGED, deliveryNote = wedged.wedgeReason)
                sent -> done.copy(delivery = Delivery.SENT, deliveryNote = null)
                else -> done
            }
        } catch (e: HoumonException) {
            _screen.value = done.copy(error = e.staffText)
        }
    }

    private fun act(call: (VisitSession) -> VisitStep) {
        val s = session ?: return
        try {
            render(call(s))
        } catch (e: HoumonException) {
            failed(s, e)
        }
    }

    private fun failed(s: VisitSession, e: HoumonException) {
        when (e) {
            is HoumonException.Cancelled -> _screen.value = VisitScreen.Cancelled(e.staffText)
            is HoumonException.CardRemoved -> {
                render(s.step())
                val hold = _screen.value as? VisitScreen.HoldCard
                _screen.value = hold?.copy(line = Labels.CARD_AGAIN, error = e.staffText)
                    ?: _screen.value.withError(e.staffText)
            }
            else -> {
                // The session is where the core left it (a wrong PIN: back at
                // the pad with the tries left); show that, with the reason.
                render(s.step())
                _screen.value = _screen.value.withError(e.staffText)
            }
        }
    }

    private fun render(step: VisitStep) {
        _screen.value = when (step) {
            is VisitStep.ChooseMode -> VisitScreen.ChooseMode(
                patientName,
                IdentityMode.entries.map { mode ->
                    val off = step.unavailable.firstOrNull { it.mode == mode }
                    ModeOption(mode, Labels.mode(mode), mode in step.offered, off?.reason, off?.message)
                },
            )
            is VisitStep.EnterPin -> VisitScreen.EnterPin(step.triesLeft?.toInt(), step.message)
            is VisitStep.EnterCollation -> VisitScreen.EnterCollation(step.triesLeft?.toInt(), step.message)
            is VisitStep.ConfirmLastTry -> VisitScreen.ConfirmLastTry(step.mode, step.message)
            is VisitStep.HoldCard -> VisitScreen.HoldCard(
                mode = step.mode,
                line = step.message ?: Labels.HOLD_CARD,
                done = 0,
                expected = 0,
                reading = false,
                antennaHint = antennaHint,
            )
            is VisitStep.WrongCard -> VisitScreen.WrongCard(step.belongsToPatientId, step.belongsToName, step.message)
            is VisitStep.ConfirmNewCard -> VisitScreen.ConfirmNewCard(step.message)
            is VisitStep.ComparePhoto -> VisitScreen.ComparePhoto(
                step.png,
                step.width.toInt(),
                step.height.toInt(),
                Labels.PHOTO_NOTE,
                VisualReason.entries.map { it to Labels.visualReason(it) },
            )
            is VisitStep.IdentityConfirmed -> VisitScreen.Consent(
                step.mode,
                step.consent,
                ConsentCategory.entries.map { it to Labels.category(it) },
                Prescription.entries.map { it to Labels.prescription(it) },
            )
            is VisitStep.IdentityRefused -> VisitScreen.Refused(step.reason, step.message)
            is VisitStep.Done -> {
                onStored(step.recordId)
                VisitScreen.Done(step.recordId, step.consent, Delivery.STORED, null)
            }
            is VisitStep.Cancelled -> VisitScreen.Cancelled()
        }
    }
}

/** The same screen with `error` set. */
fun VisitScreen.withError(error: String?): VisitScreen = when (this) {
    is VisitScreen.Starting -> copy(error = error)
    is VisitScreen.ChooseMode -> copy(error = error)
    is VisitScreen.EnterPin -> copy(error = error)
    is VisitScreen.EnterCollation -> copy(error = error)
    is VisitScreen.ConfirmLastTry -> copy(error = error)
    is VisitScreen.HoldCard -> copy(error = error)
    is VisitScreen.WrongCard -> copy(error = error)
    is VisitScreen.ConfirmNewCard -> copy(error = error)
    is VisitScreen.ComparePhoto -> copy(error = error)
    is VisitScreen.Consent -> copy(error = error)
    is VisitScreen.Refused -> copy(error = error)
    is VisitScreen.Done -> copy(error = error)
    is VisitScreen.Cancelled -> copy(error = error)
}
