// SPDX-License-Identifier: MPL-2.0
import Foundation
import HoumonCore

/// Reception guidance when the card cannot be used: what to try first,
/// what to charge only once those fail (the core's dated rules). Staff mark
/// each step as they try it; the answer changes with it. The same model as
/// the Android app's `ReceptionController`.
@MainActor
public final class ReceptionModel: ObservableObject {
    @Published public private(set) var guidance: ReceptionGuidance?
    @Published public private(set) var tried: [StepTaken] = []
    @Published public private(set) var error: String?

    private let day: Date
    private let patient: RosterPatient?
    private let identity: IdentityCheck?
    private let setting: CareSetting

    public init(day: Date, patient: RosterPatient?, identity: IdentityCheck?, setting: CareSetting) {
        self.day = day
        self.patient = patient
        self.identity = identity
        self.setting = setting
        assess()
    }

    /// Staff tried `step`: record what came of it and assess again.
    public func record(_ step: ReceptionStep, _ result: StepResult, share: UInt8? = nil) {
        tried.removeAll { $0.step == step }
        tried.append(StepTaken(step: step, result: result, share: share))
        assess()
    }

    private func assess() {
        do {
            guidance = try assessReception(situation: situation(), policyJson: nil)
            error = nil
        } catch {
            guidance = nil
            self.error = staffText(error)
        }
    }

    private func situation() -> ReceptionSituation {
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
        return ReceptionSituation(
            date: today,
            birthDate: patient?.birthDate,
            age: age,
            insurerKind: nil,
            history: history,
            onlineCheck: .later,
            documents: [.mynaCard(status: .cannotCheck(reason: .deviceOrCardFault), certificateExpiry: nil)],
            identity: identity,
            tried: tried,
            setting: setting
        )
    }

    /// Where a visit of this kind takes place.
    public static func setting(of kind: VisitKind) -> CareSetting {
        switch kind {
        case .facility: return .facility
        case .consultation: return .consultation
        default: return .home
        }
    }
}
