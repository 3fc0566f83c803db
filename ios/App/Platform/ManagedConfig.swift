// SPDX-License-Identifier: MPL-2.0
import Foundation
import HoumonCore
import os

/// The clinic's settings from its device management: the managed app
/// configuration an MDM pushes (`UserDefaults` key
/// `com.apple.configuration.managed`), read at launch. The keys are the
/// core's `ClinicPolicy` fields (the Android app's managed configuration has
/// the same), plus the phone's name and the app lock; `ios/README.md` lists
/// them and `ios/ManagedAppConfig.plist` is the example for an MDM console.
/// A key missing or of the wrong type keeps the core's default.
struct ManagedConfig {
    var policy: ClinicPolicy
    /// The name the phone enrols under (the console tells phones apart by it).
    var deviceName: String?
    /// The app locks after it has been away this long.
    var lockAfter: TimeInterval

    static let key = "com.apple.configuration.managed"
    static let defaultLockMinutes = 5
    private static let log = Logger(subsystem: "jp.houmon.app", category: "config")

    static func read() -> ManagedConfig {
        ManagedConfig(UserDefaults.standard.dictionary(forKey: key) ?? [:])
    }

    init(_ values: [String: Any]) {
        var policy = defaultClinicPolicy()
        switch values["sign_in"] as? String {
        case "when_shared"?: policy.signIn = .whenShared
        case "always"?: policy.signIn = .always
        case "never"?: policy.signIn = .never
        case nil: break
        case let other?: Self.log.error("sign_in: unknown value \(other, privacy: .public)")
        }
        func flag(_ key: String) -> Bool? { values[key] as? Bool }
        func count(_ key: String) -> UInt32? {
            guard let n = values[key] as? Int, n >= 0 else { return nil }
            return UInt32(clamping: n)
        }
        policy.allowPin = flag("allow_pin") ?? policy.allowPin
        policy.allowVisual = flag("allow_visual") ?? policy.allowVisual
        policy.carefulReading = flag("careful_reading") ?? policy.carefulReading
        policy.keepPhoto = flag("keep_photo") ?? policy.keepPhoto
        policy.idleSignOutMinutes = count("idle_sign_out_minutes") ?? policy.idleSignOutMinutes
        policy.shiftHours = count("shift_hours") ?? policy.shiftHours
        self.policy = policy
        let name = (values["device_name"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines)
        deviceName = name?.isEmpty == false ? name : nil
        lockAfter = 60 * TimeInterval(count("lock_after_minutes") ?? UInt32(Self.defaultLockMinutes))
    }
}
