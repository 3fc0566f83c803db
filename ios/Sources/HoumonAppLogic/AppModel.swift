// SPDX-License-Identifier: MPL-2.0
import Foundation
import HoumonCore

/// Which screen the app shows (the same navigation as the Android app).
public enum AppScreen: Equatable {
    case enrol
    case round
    case visit(patientId: String?)
    case reception(patientId: String?)
    case queue
    case settings
}

/// Navigation over the models: enrol once, then the day's round; a patient
/// opens a visit; a stored record is sent at once if the network is there;
/// a finished visit returns to the round with the next patient suggested.
@MainActor
public final class AppModel: ObservableObject {
    @Published public private(set) var screen: AppScreen
    @Published public private(set) var visit: VisitModel?
    @Published public private(set) var suggested: String?

    public let core: HoumonCore
    public let enrolment: EnrolmentModel
    public let round: RoundModel
    public let sync: SyncModel
    public let queue: QueueModel

    public init(core: HoumonCore) {
        self.core = core
        enrolment = EnrolmentModel(core: core)
        round = RoundModel(core: core)
        sync = SyncModel(core: core)
        queue = QueueModel(core: core)
        screen = core.enrolment() == nil ? .enrol : .round
    }

    public func enrol(text: String, deviceName: String) async {
        if await enrolment.enrol(text: text, deviceName: deviceName) {
            screen = .round
            await round.load()
        }
    }

    public func openVisit(patientId: String?) async {
        let patient = patientId.flatMap(round.patient)
        let model = VisitModel(core: core, staffId: core.enrolment()?.staffId ?? "") { [weak self] _ in
            Task { @MainActor in
                guard let self else { return }
                await self.sync.stored()
                await self.visit?.refreshDelivery()
            }
        }
        visit = model
        screen = .visit(patientId: patientId)
        let kind: VisitKind = patient?.facility != nil ? .facility : .homeCare
        await model.start(patientId: patientId, patientName: patient?.name, kind: kind, roundDay: Date())
    }

    public func finishVisit() async {
        guard let v = visit else { return }
        if case .done = v.screen, let id = v.patientId { round.markVisited(id) }
        suggested = round.next(after: v.patientId)?.patientId
        visit = nil
        screen = .round
        await round.load()
    }

    /// How identity went in the current visit, for the reception guidance:
    /// a photo that did not match is a failed 目視.
    public var visitIdentity: IdentityCheck? {
        if case .refused = visit?.screen, visit?.refusedOnPhoto == true { return .visualFailed }
        return nil
    }

    public func show(_ s: AppScreen) {
        if case .round = s { visit?.cancel(); visit = nil }
        screen = s
    }
}
