// SPDX-License-Identifier: MPL-2.0
import Foundation
import HoumonCore

/// When to send (network back, a record stored, the core's retry time) and
/// the one line the round screen shows. One sync at a time.
@MainActor
public final class SyncModel: ObservableObject {
    @Published public private(set) var online = true
    @Published public private(set) var pending = 0
    @Published public private(set) var wedged = 0
    @Published public private(set) var line = ""
    @Published public private(set) var nextTryAt: Date?

    private let core: HoumonCore
    private var running: Task<Void, Never>?

    public init(core: HoumonCore) {
        self.core = core
    }

    public func connectivityChanged(online: Bool) async {
        self.online = online
        do {
            try await core.setOnline(online: online)
        } catch {
            await publish(error: staffText(error))
            return
        }
        if online { await syncNow() } else { await publish(error: nil) }
    }

    public func stored() async {
        if online { await syncNow() } else { await publish(error: nil) }
    }

    public func syncNow() async {
        if let running { await running.value }
        let task = Task { [core] in
            var message: String?
            do {
                let summary = try await core.syncNow()
                message = summary.resultsError ?? summary.deferred
                self.nextTryAt = summary.nextRetryAt
            } catch {
                message = staffText(error)
            }
            await self.publish(error: message)
        }
        running = task
        await task.value
        running = nil
    }

    private func publish(error: String?) async {
        pending = (try? await core.queue(state: .pending).count) ?? pending
        wedged = (try? await core.queue(state: .wedged).count) ?? wedged
        var text: String
        switch (online, pending) {
        case (false, 0): text = "\(Labels.offline): 送信待ちはありません"
        case (false, _): text = "\(Labels.offline): 未送信 \(pending)件(電波が戻ったら送信します)"
        case (true, 0): text = "送信待ちはありません"
        default: text = "未送信 \(pending)件"
        }
        if wedged > 0 { text += " / 要確認 \(wedged)件" }
        if let error { text += " / " + error }
        line = text
    }
}
