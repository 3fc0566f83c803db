// SPDX-License-Identifier: MPL-2.0
import HoumonAppLogic
import HoumonCore
import HoumonNFC
import UIKit

/// The core's effects on an iPhone: the background task, haptics, VoiceOver,
/// the NFC sheet.
@MainActor
final class Glue: PlatformGlue {
    let sheet: NFCSheet
    private var lastNotice: String?

    init(sheet: NFCSheet) {
        self.sheet = sheet
    }

    func scheduleSync(at: Date) {
        BackgroundSync.schedule(at: at)
    }

    func cancelScheduledSync() {
        BackgroundSync.cancel()
    }

    /// The read ended: one haptic per kind (the NFC sheet has its own sound
    /// when it finds a card), then the sheet closes or polls again.
    func feedback(_ kind: FeedbackKind) {
        switch kind {
        case .readSucceeded:
            UINotificationFeedbackGenerator().notificationOccurred(.success)
        case .cardLost:
            UINotificationFeedbackGenerator().notificationOccurred(.warning)
        case .readFailed:
            UINotificationFeedbackGenerator().notificationOccurred(.error)
        case .notNow:
            UIImpactFeedbackGenerator(style: .light).impactOccurred()
        }
        sheet.readEnded(kind)
    }

    func announce(_ text: String) {
        UIAccessibility.post(notification: .announcement, argument: text)
    }

    /// iPhones have no NFC switch: the app's page in Settings is the nearest.
    func openNfcSettings() {
        if let url = URL(string: UIApplication.openSettingsURLString) {
            UIApplication.shared.open(url)
        }
    }

    func rendered(_ view: AppView) {
        sheet.follow(view)
        // The screen's notice is spoken once, when it appears (a live region).
        let notice = view.notice?.text
        if let notice, notice != lastNotice {
            announce(notice)
        }
        lastNotice = notice
    }
}
