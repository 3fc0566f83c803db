// SPDX-License-Identifier: MPL-2.0
import Foundation
import HoumonCore

/// Reception guidance when the card cannot be used (the core's dated rules).
public enum ReceptionGuide {
    public static func whenCardUnusable(day: Date, patient: RosterPatient?) -> Result<ReceptionGuidance, Error> {
        let today = CalendarDate.inJapan(day)
        var age: UInt32?
        if let b = patient?.birthDate {
            var years = Int(today.year) - Int(b.year)
            if (today.month, today.day) < (b.month, b.day) { years -= 1 }
            age = UInt32(max(0, years))
        }
        let history: VisitHistory = patient?.eligibility.checkedAt != nil
            ? .returnVisit(shareOnFile: patient?.eligibility.shareWari)
            : .firstVisit
        let situation = ReceptionSituation(
            date: today,
            birthDate: patient?.birthDate,
            age: age,
            insurerKind: nil,
            history: history,
            onlineCheck: .later,
            documents: [.mynaCard(status: .cannotCheck(reason: .deviceOrCardFault), certificateExpiry: nil)]
        )
        return Result { try assessReception(situation: situation, policyJson: nil) }
    }
}
