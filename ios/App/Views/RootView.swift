// SPDX-License-Identifier: MPL-2.0
import HoumonAppLogic
import SwiftUI

struct RootView: View {
    @ObservedObject var app: AppModel

    var body: some View {
        NavigationStack {
            switch app.screen {
            case .enrol: EnrolView(app: app, model: app.enrolment)
            case .round: RoundView(app: app, round: app.round, sync: app.sync)
            case .visit:
                if let visit = app.visit { VisitView(app: app, visit: visit) }
            case let .reception(patientId): ReceptionView(app: app, patientId: patientId)
            case .queue: QueueView(app: app, queue: app.queue)
            case .settings: SettingsView(app: app)
            }
        }
        .dynamicTypeSize(...DynamicTypeSize.accessibility3)
    }
}

/// Buttons at a door are pressed in a hurry: never smaller than this.
let touchTarget: CGFloat = 56
