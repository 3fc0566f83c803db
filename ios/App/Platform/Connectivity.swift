// SPDX-License-Identifier: MPL-2.0
import Foundation
import Network

/// Tells the core when a usable network comes and goes (`NWPathMonitor`;
/// the first path arrives at once, so the core knows at start).
@MainActor
final class Connectivity {
    static let shared = Connectivity()
    private let monitor = NWPathMonitor()
    private var last: Bool?

    func start(_ changed: @escaping @MainActor @Sendable (Bool) -> Void) {
        monitor.pathUpdateHandler = { path in
            let online = path.status == .satisfied
            DispatchQueue.main.async {
                MainActor.assumeIsolated {
                    guard self.last != online else { return }
                    self.last = online
                    changed(online)
                }
            }
        }
        monitor.start(queue: DispatchQueue(label: "jp.houmon.connectivity"))
    }
}
