// SPDX-License-Identifier: MPL-2.0
import Combine
import Foundation
import HoumonCore

/// What the iPhone does for the core: the App's platform glue
/// (`App/Platform/Glue.swift`: BGTaskScheduler, haptics, VoiceOver, the NFC
/// sheet). Called on the main actor, in the order the core sent them.
@MainActor
public protocol PlatformGlue: AnyObject {
    /// `Effect.scheduleSync`: ask iOS to wake the app at `at` (BGAppRefreshTask).
    func scheduleSync(at: Date)
    /// `Effect.cancelScheduledSync`: nothing waits to be sent.
    func cancelScheduledSync()
    /// `Effect.feedback`: the read ended (haptics; the NFC sheet closes or polls again).
    func feedback(_ kind: FeedbackKind)
    /// `Effect.announce`: VoiceOver says this now.
    func announce(_ text: String)
    /// `Effect.openNfcSettings`.
    func openNfcSettings()
    /// A newer view was published (the NFC sheet shows its line).
    func rendered(_ view: AppView)
}

/// The app's one `AppCore` (one per process: the App, the background task
/// and the NFC sheet share it) and the newest view it sent.
///
/// The core decides everything. This publishes the core's `AppView` for
/// SwiftUI, passes staff input on as `AppEvent`s and cards as transports,
/// and runs the core's effects through the platform glue. It keeps no app
/// state of its own: what is on screen is the core's view, whole.
@MainActor
public final class AppModel: ObservableObject, AppShell {
    /// The screen to draw: the core's newest view (nil only before the first).
    @Published public private(set) var view: AppView? = nil

    private let glue: PlatformGlue
    /// Set at the end of `init` (the core needs this object as its shell).
    private var core: AppCore!

    /// Opens the app (never fails: a store that does not open shows the
    /// core's recovery screen). Call once per process.
    public init(config: AppConfig, keys: KeyProvider, glue: PlatformGlue) {
        self.glue = glue
        let core = AppCore(config: config, keys: keys, shell: self)
        self.core = core
        view = core.view()
    }

    /// Staff did something (memory only: never blocks).
    public func send(_ event: AppEvent) {
        core.send(event: event)
    }

    /// A card at the phone (the NFC sheet connected to one). The read runs
    /// on the core's runtime; its outcome comes back as views.
    public func cardTapped(_ transport: CardTransport) -> TapAnswer {
        core.cardTapped(transport: transport)
    }

    /// Waits until the core's work is done and the newest view was
    /// delivered (the background task, after `syncDue`; pull to refresh).
    public func settle() async {
        await core.settle()
    }

    // MARK: AppShell: called from the core's threads, in order.

    // The main queue runs these in the order they came (one `Task` per call
    // need not), so an effect never overtakes the view before it.

    public nonisolated func render(view: AppView) {
        DispatchQueue.main.async {
            MainActor.assumeIsolated { self.show(view) }
        }
    }

    public nonisolated func run(effect: Effect) {
        DispatchQueue.main.async {
            MainActor.assumeIsolated { self.perform(effect) }
        }
    }

    private func show(_ newer: AppView) {
        if let current = view, current.revision > newer.revision { return }
        view = newer
        glue.rendered(newer)
    }

    private func perform(_ effect: Effect) {
        switch effect {
        case let .scheduleSync(at):
            glue.scheduleSync(at: at)
        case .cancelScheduledSync:
            glue.cancelScheduledSync()
        case let .feedback(kind):
            glue.feedback(kind)
        case let .announce(text):
            glue.announce(text)
        case .openNfcSettings:
            glue.openNfcSettings()
        }
    }
}
