// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.logic

import java.time.LocalDate
import java.time.Period
import jp.houmon.core.CardStatus
import jp.houmon.core.HoumonException
import jp.houmon.core.OnlineCheck
import jp.houmon.core.PresentedDocument
import jp.houmon.core.ReceptionGuidance
import jp.houmon.core.ReceptionSituation
import jp.houmon.core.RosterPatient
import jp.houmon.core.VisitHistory
import jp.houmon.core.assessReception

/**
 * Reception guidance at the door when the card cannot be used: what to
 * accept, what to charge, what to write down. The rules are the core's
 * (`assessReception`, dated); this only describes the situation from what
 * the round already knows about the patient.
 */
object ReceptionController {
    fun whenCardUnusable(day: LocalDate, patient: RosterPatient?): Result<ReceptionGuidance> {
        val birth = patient?.birthDate?.toLocalDate()
        val share = patient?.eligibility?.shareWari
        val situation = ReceptionSituation(
            date = day.toCalendarDate(),
            birthDate = birth?.toCalendarDate(),
            age = birth?.let { Period.between(it, day).years.toUInt() },
            insurerKind = null,
            history = if (patient?.eligibility?.checkedAt != null) VisitHistory.ReturnVisit(share) else VisitHistory.FirstVisit,
            onlineCheck = OnlineCheck.LATER,
            documents = listOf(
                PresentedDocument.MynaCard(CardStatus.CannotCheck(jp.houmon.core.CannotCheck.DEVICE_OR_CARD_FAULT), null),
            ),
        )
        return try {
            Result.success(assessReception(situation, null))
        } catch (e: HoumonException) {
            Result.failure(IllegalArgumentException(e.staffText, e))
        }
    }
}
