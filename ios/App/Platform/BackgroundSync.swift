// SPDX-License-Identifier: MPL-2.0
import BackgroundTasks
import Foundation
import HoumonAppLogic
import HoumonCore
import os

/// Lets iOS wake the app to send what is pending: a BGAppRefreshTask at the
/// core's time (`Effect.scheduleSync`, which the core sends on entering the
/// background and after a record is stored). The identifier is listed in
/// Info.plist's BGTaskSchedulerPermittedIdentifiers; `fetch` is in
/// UIBackgroundModes.
enum BackgroundSync {
    static let identifier = "jp.houmon.app.sync"
    private static let log = Logger(subsystem: "jp.houmon.app", category: "background")

    /// Registers the handler; call before the app finishes launching.
    static func register() {
        let registered = BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: .main) { task in
            MainActor.assumeIsolated { run(Completion(task)) }
        }
        if !registered {
            // The identifier is not in BGTaskSchedulerPermittedIdentifiers.
            log.error("BGTaskScheduler.register refused \(identifier, privacy: .public)")
        }
    }

    /// The task: the one core (opened now if iOS launched the app only for
    /// this) syncs, and the task ends when the core has settled, or when iOS
    /// says the time is up. The core asks for the next time itself.
    @MainActor
    private static func run(_ done: Completion) {
        let model = Houmon.model
        let work = Task { @MainActor in
            model.send(.syncDue)
            await model.settle()
            done.finish(success: true)
        }
        done.onExpiry {
            work.cancel()
            done.finish(success: false)
        }
    }

    static func schedule(at: Date) {
        let request = BGAppRefreshTaskRequest(identifier: identifier)
        request.earliestBeginDate = at
        do {
            try BGTaskScheduler.shared.submit(request)
        } catch {
            // In the simulator, or when background refresh is off in Settings.
            log.error("BGTaskScheduler.submit: \(String(describing: error), privacy: .public)")
        }
    }

    static func cancel() {
        BGTaskScheduler.shared.cancel(taskRequestWithIdentifier: identifier)
    }
}

/// One BGTask, completed exactly once (by the sync or by its expiry,
/// whichever comes first; they may run on different threads).
private final class Completion: @unchecked Sendable {
    private let task: BGTask
    private let lock = NSLock()
    private var completed = false

    init(_ task: BGTask) {
        self.task = task
    }

    func onExpiry(_ handler: @escaping @Sendable () -> Void) {
        task.expirationHandler = handler
    }

    func finish(success: Bool) {
        lock.lock()
        let first = !completed
        completed = true
        lock.unlock()
        if first { task.setTaskCompleted(success: success) }
    }
}
