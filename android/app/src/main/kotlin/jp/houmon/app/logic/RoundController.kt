// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.logic

import java.time.Instant
import java.time.LocalDate
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import jp.houmon.core.EligibilityStatus
import jp.houmon.core.HoumonCore
import jp.houmon.core.HoumonException
import jp.houmon.core.RosterPatient
import jp.houmon.core.VisitKind

/** One patient on the day's list. */
data class PatientRow(
    val patientId: String,
    val name: String,
    val address: String,
    /** 「有効 (3割) 11月26日 9:05 確認」, or 「未確認」: only from a server result. */
    val eligibility: String,
    val status: EligibilityStatus,
    val offlineResult: Boolean,
    val cardEnrolled: Boolean,
    val consentUntil: LocalDate?,
    val visitedToday: Boolean,
    val kind: VisitKind,
)

/** Patients of one place: the facility's name, or 居宅 for homes. */
data class PatientGroup(val title: String, val facility: String?, val patients: List<PatientRow>)

data class RoundScreen(
    val day: LocalDate,
    val loading: Boolean,
    /** The kept copy is shown (no network); `fetchedAt` says from when. */
    val offline: Boolean,
    val fetchedAt: Instant?,
    val groups: List<PatientGroup>,
    val error: String? = null,
)

/**
 * The day's round: the roster the server gives this phone (only its
 * round's patients), or the copy kept sealed on the phone when offline.
 * Grouped by facility for a 施設 round; homes first. Knows which patients
 * were visited today, and which one is next.
 */
class RoundController(private val core: HoumonCore, private val day: () -> LocalDate = { today() }) {
    private val _screen = MutableStateFlow(RoundScreen(day(), loading = true, offline = false, fetchedAt = null, groups = emptyList()))
    val screen: StateFlow<RoundScreen> = _screen.asStateFlow()

    private var patients: List<RosterPatient> = emptyList()
    private val visited = mutableSetOf<String>()

    suspend fun load() {
        val d = day()
        _screen.value = _screen.value.copy(day = d, loading = true, error = null)
        try {
            val roster = core.roster(d.toCalendarDate())
            patients = roster.patients
            _screen.value = RoundScreen(
                day = d,
                loading = false,
                offline = !roster.fresh,
                fetchedAt = roster.fetchedAt,
                groups = group(roster.patients),
            )
        } catch (e: HoumonException) {
            _screen.value = _screen.value.copy(loading = false, error = e.staffText)
        }
    }

    fun patient(id: String): RosterPatient? = patients.firstOrNull { it.patientId == id }

    fun markVisited(patientId: String) {
        visited += patientId
        _screen.value = _screen.value.copy(groups = group(patients))
    }

    /** The next patient not yet visited today, in round order after `afterId`. */
    fun next(afterId: String?): RosterPatient? {
        val order = group(patients).flatMap { g -> g.patients.map { it.patientId } }
        val start = afterId?.let { order.indexOf(it) + 1 } ?: 0
        return (order.drop(start) + order.take(start)).firstOrNull { it !in visited }?.let(::patient)
    }

    private fun group(list: List<RosterPatient>): List<PatientGroup> {
        val byPlace = list.groupBy { it.facility }
        val homes = byPlace[null].orEmpty()
        val groups = mutableListOf<PatientGroup>()
        if (homes.isNotEmpty()) groups += PatientGroup(Labels.HOME, null, homes.map { row(it, VisitKind.HOME_CARE) })
        byPlace.keys.filterNotNull().sorted().forEach { f ->
            groups += PatientGroup(f, f, byPlace.getValue(f).map { row(it, VisitKind.FACILITY) })
        }
        return groups
    }

    private fun row(p: RosterPatient, kind: VisitKind) = PatientRow(
        patientId = p.patientId,
        name = p.name,
        address = p.address,
        eligibility = p.eligibility.label,
        status = p.eligibility.status,
        offlineResult = p.eligibility.offline,
        cardEnrolled = p.cardEnrolled,
        consentUntil = p.consentUntil?.toLocalDate(),
        visitedToday = p.patientId in visited,
        kind = kind,
    )
}
