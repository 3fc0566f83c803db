// SPDX-License-Identifier: MPL-2.0
import Foundation
import HoumonAppLogic
import Network

/// Tells the sync model when a usable network comes and goes.
@MainActor
final class Connectivity {
    private let monitor = NWPathMonitor()
    private var last: Bool?

    func start(_ sync: SyncModel) {
        monitor.pathUpdateHandler = { [weak self] path in
            let online = path.status == .satisfied
            Task { @MainActor in
                guard let self, self.last != online else { return }
                self.last = online
                await sync.connectivityChanged(online: online)
            }
        }
        monitor.start(queue: DispatchQueue(label: "jp.houmon.connectivity"))
    }
}
