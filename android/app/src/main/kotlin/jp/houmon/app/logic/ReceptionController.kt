// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.logic

import java.time.LocalDate
import java.time.Period
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import jp.houmon.core.CardStatus
import jp.houmon.core.CareSetting
import jp.houmon.core.HoumonException
import jp.houmon.core.IdentityCheck
import jp.houmon.core.OnlineCheck
import jp.houmon.core.PresentedDocument
import jp.houmon.core.ReceptionGuidance
import jp.houmon.core.ReceptionSituation
import jp.houmon.core.ReceptionStep
import jp.houmon.core.RosterPatient
import jp.houmon.core.StepResult
import jp.houmon.core.StepTaken
import jp.houmon.core.VisitHistory
import jp.houmon.core.VisitKind
import jp.houmon.core.assessReception

/** The reception screen: the guidance, and the steps staff can mark as tried. */
data class ReceptionScreen(
    val guidance: ReceptionGuidance?,
    /** Every step the guidance offers that can be marked, with its result so far. */
    val tried: List<StepTaken>,
    val error: String? = null,
)

/**
 * Reception guidance at the door when the card cannot be used: what to try
 * first, what to charge only once those fail, what to write down. The rules
 * are the core's (`assessReception`, dated); this describes the situation
 * from what the round and the visit know (the patient, how identity went,
 * the setting) and adds the steps staff mark as they try them — the answer
 * changes with each.
 */
class ReceptionController(
    private val day: LocalDate,
    private val patient: RosterPatient?,
    private val identity: IdentityCheck?,
    private val setting: CareSetting,
) {
    private val _screen = MutableStateFlow(ReceptionScreen(null, emptyList()))
    val screen: StateFlow<ReceptionScreen> = _screen.asStateFlow()

    init {
        assess(emptyList())
    }

    /** Staff tried `step`: record its result (and the share learnt) and assess again. */
    fun record(step: ReceptionStep, result: StepResult, share: UByte? = null) {
        val tried = _screen.value.tried.filter { it.step != step } + StepTaken(step, result, share)
        assess(tried)
    }

    private fun assess(tried: List<StepTaken>) {
        _screen.value = try {
            ReceptionScreen(assessReception(situation(tried), null), tried)
        } catch (e: HoumonException) {
            ReceptionScreen(null, tried, e.staffText)
        }
    }

    private fun situation(tried: List<StepTaken>): ReceptionSituation {
        val birth = patient?.birthDate?.toLocalDate()
        val share = patient?.eligibility?.shareWari
        return ReceptionSituation(
            date = day.toCalendarDate(),
            birthDate = birth?.toCalendarDate(),
            age = birth?.let { Period.between(it, day).years.toUInt() },
            insurerKind = null,
            history = if (patient?.eligibility?.checkedAt != null) VisitHistory.ReturnVisit(share) else VisitHistory.FirstVisit,
            onlineCheck = OnlineCheck.LATER,
            documents = listOf(
                PresentedDocument.MynaCard(CardStatus.CannotCheck(jp.houmon.core.CannotCheck.DEVICE_OR_CARD_FAULT), null),
            ),
            identity = identity,
            tried = tried,
            setting = setting,
        )
    }

    companion object {
        /** Where a visit of this kind takes place. */
        fun settingOf(kind: VisitKind): CareSetting = when (kind) {
            VisitKind.FACILITY -> CareSetting.FACILITY
            VisitKind.CONSULTATION -> CareSetting.CONSULTATION
            else -> CareSetting.HOME
        }
    }
}
