// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.logic

import java.time.LocalDate
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import jp.houmon.core.HoumonCore
import jp.houmon.core.VisitKind

/** Which screen the app shows. */
sealed class AppScreen {
    data object Enrol : AppScreen()
    data object Round : AppScreen()
    data class Visit(val patientId: String?) : AppScreen()
    data class Reception(val patientId: String?) : AppScreen()
    data object Queue : AppScreen()
    data object Settings : AppScreen()
}

/**
 * The app's navigation over the controllers: enrol once, then the day's
 * round; a patient opens a visit; a finished visit goes back to the round
 * with the next patient highlighted; a stored record is sent at once when
 * the network is there.
 */
class AppController(
    val core: HoumonCore,
    /** Where background work runs (the Application's scope; a test's scope). */
    private val scope: CoroutineScope,
    private val antennaHint: String = "スマートフォンの背面",
    private val day: () -> LocalDate = { today() },
) {
    val enrolment = EnrolmentController(core)
    val round = RoundController(core, day)
    val sync = SyncController(core)
    val queue = QueueController(core)

    private val _screen = MutableStateFlow<AppScreen>(if (core.enrolment() == null) AppScreen.Enrol else AppScreen.Round)
    val screen: StateFlow<AppScreen> = _screen.asStateFlow()

    /** The visit in progress (one at a time). */
    var visit: VisitController? = null
        private set

    /** The patient the round screen suggests next. */
    var suggested: String? = null
        private set

    /** The send started when the last record was stored (tests wait for it). */
    var sending: Job? = null
        private set

    suspend fun enrol(qrText: String, deviceName: String): Boolean {
        val ok = enrolment.enrol(qrText, deviceName)
        if (ok) {
            _screen.value = AppScreen.Round
            round.load()
        }
        return ok
    }

    suspend fun openVisit(patientId: String?, kind: VisitKind? = null) {
        val patient = patientId?.let { round.patient(it) }
        val staff = core.enrolment()?.staffId ?: ""
        lateinit var v: VisitController
        v = VisitController(core, staff, antennaHint) {
            // Stored: send it now if the network is there, then tell the
            // Done screen whether it reached the clinic.
            sending = scope.launch {
                sync.onStored()
                v.refreshDelivery()
            }
        }
        visit = v
        _screen.value = AppScreen.Visit(patientId)
        val k = kind ?: if (patient?.facility != null) VisitKind.FACILITY else VisitKind.HOME_CARE
        v.start(patientId, patient?.name, k, day())
    }

    /** After Done (or a stop): back to the round, the next patient suggested. */
    suspend fun finishVisit() {
        val v = visit ?: return
        if (v.screen.value is VisitScreen.Done) {
            v.patientId?.let { round.markVisited(it) }
        }
        suggested = round.next(v.patientId)?.patientId
        visit = null
        _screen.value = AppScreen.Round
        round.load()
    }

    /** The reception guidance of the current screen (one at a time). */
    var reception: ReceptionController? = null
        private set

    /**
     * Reception guidance for `patientId`, from what the visit learnt: a
     * photo that did not match is a failed 目視; a card whose PIN cannot be
     * used sends staff to 目視 first.
     */
    fun showReception(patientId: String?) {
        val refused = visit?.screen?.value as? VisitScreen.Refused
        val identity = when {
            refused?.reason is jp.houmon.core.RefusalReason.PhotoMismatch -> jp.houmon.core.IdentityCheck.VisualFailed
            else -> null
        }
        val patient = patientId?.let { round.patient(it) }
        val kind = if (patient?.facility != null) VisitKind.FACILITY else VisitKind.HOME_CARE
        reception = ReceptionController(day(), patient, identity, ReceptionController.settingOf(kind))
        _screen.value = AppScreen.Reception(patientId)
    }

    fun showQueue() {
        _screen.value = AppScreen.Queue
    }

    fun showSettings() {
        _screen.value = AppScreen.Settings
    }

    fun backToRound() {
        visit?.cancel()
        visit = null
        _screen.value = AppScreen.Round
    }
}
