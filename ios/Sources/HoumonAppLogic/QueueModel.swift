// SPDX-License-Identifier: MPL-2.0
import Foundation
import HoumonCore

/// Records not yet accepted: pending, and wedged with the clinic's reason
/// (retry after fixing the cause; discard only after a confirmation).
@MainActor
public final class QueueModel: ObservableObject {
    @Published public private(set) var pending: [QueueEntry] = []
    @Published public private(set) var wedged: [QueueEntry] = []
    @Published public private(set) var error: String?

    private let core: HoumonCore

    public init(core: HoumonCore) {
        self.core = core
    }

    public func load() async {
        do {
            pending = try await core.queue(state: .pending)
            wedged = try await core.queue(state: .wedged)
            error = nil
        } catch {
            self.error = staffText(error)
        }
    }

    public func retry(_ id: String) async {
        do { try await core.retry(recordId: id) } catch { self.error = staffText(error) }
        await load()
    }

    public func discard(_ id: String) async {
        do { try await core.discard(recordId: id) } catch { self.error = staffText(error) }
        await load()
    }

    /// The clinic's reason without its code prefix.
    public static func reason(_ entry: QueueEntry) -> String? {
        guard let r = entry.wedgeReason else { return nil }
        if let range = r.range(of: ": ") { return String(r[range.upperBound...]) }
        return r
    }
}
