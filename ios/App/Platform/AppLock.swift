// SPDX-License-Identifier: MPL-2.0
import Combine
import Foundation
import LocalAuthentication

/// The app lock: Face ID, Touch ID or the phone's passcode when the app
/// starts and when it comes back after being away (the phone locked, another
/// app in front) for `after` seconds or more. The lock screen is opaque, so
/// nothing of the round or a visit shows until the lock is opened.
@MainActor
final class AppLock: ObservableObject {
    @Published private(set) var locked = true
    /// Set when the phone has no passcode: there is nothing to check against.
    @Published private(set) var noPasscode = false

    private let after: TimeInterval
    private var leftAt: Date?
    private var checking = false

    init(after: TimeInterval) {
        self.after = after
    }

    /// The app went to the background.
    func left() {
        if leftAt == nil { leftAt = Date() }
    }

    /// The app is in front again; true if it comes back from the
    /// background (not from a system sheet such as Face ID's own).
    @discardableResult
    func returned() -> Bool {
        guard let at = leftAt else { return false }
        if Date().timeIntervalSince(at) >= after { locked = true }
        leftAt = nil
        return true
    }

    /// Asks for Face ID or the passcode (shown once by the lock screen,
    /// then by its button: a cancelled prompt does not come back by itself).
    func unlock() {
        guard locked, !checking else { return }
        let context = LAContext()
        var error: NSError?
        guard context.canEvaluatePolicy(.deviceOwnerAuthentication, error: &error) else {
            noPasscode = true
            return
        }
        checking = true
        context.evaluatePolicy(.deviceOwnerAuthentication, localizedReason: "患者さんの情報を表示するため、ロックを解除します") { ok, _ in
            DispatchQueue.main.async {
                MainActor.assumeIsolated {
                    self.checking = false
                    if ok { self.locked = false }
                }
            }
        }
    }

    /// The phone has no passcode: staff go on, told to ask for one.
    func continueWithoutPasscode() {
        guard noPasscode else { return }
        locked = false
    }
}
