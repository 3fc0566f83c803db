// SPDX-License-Identifier: MPL-2.0
import BackgroundTasks
import Foundation
import HoumonAppLogic

/// Lets iOS wake the app to send what is pending (a BGAppRefreshTask, no
/// earlier than the core's next retry time). The identifier is listed in
/// Info.plist's BGTaskSchedulerPermittedIdentifiers.
enum BackgroundSync {
    static let identifier = "jp.houmon.app.sync"

    static func register(_ sync: @escaping @MainActor () -> SyncModel?) {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            let work = Task { @MainActor in
                await sync()?.syncNow()
                if let model = sync() { schedule(after: model.nextTryAt, pending: model.pending) }
                task.setTaskCompleted(success: true)
            }
            task.expirationHandler = { work.cancel() }
        }
    }

    static func schedule(after: Date?, pending: Int) {
        guard pending > 0 else {
            BGTaskScheduler.shared.cancel(taskRequestWithIdentifier: identifier)
            return
        }
        let request = BGAppRefreshTaskRequest(identifier: identifier)
        request.earliestBeginDate = after ?? Date(timeIntervalSinceNow: 60)
        try? BGTaskScheduler.shared.submit(request)
    }
}
