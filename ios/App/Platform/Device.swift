// SPDX-License-Identifier: MPL-2.0
import Foundation
import HoumonCore
import os
import UIKit

/// This phone, as the core records it with each read (the model and the OS,
/// never the owner's name).
enum Device {
    static let antennaHint = "iPhoneの上部(背面カメラの近く)"

    static func info(deviceName: String?) -> PlatformInfo {
        PlatformInfo(
            phoneModel: modelIdentifier(),
            os: "iOS \(UIDevice.current.systemVersion)",
            antennaHint: antennaHint,
            deviceName: deviceName ?? fallbackName()
        )
    }

    /// 「iPhone15,2」.
    static func modelIdentifier() -> String {
        var system = utsname()
        uname(&system)
        return withUnsafeBytes(of: &system.machine) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    /// Without a name from device management: the model and a short tag
    /// from this app's vendor identifier, so that the console can tell two
    /// phones apart (`UIDevice.name` is only 「iPhone」 since iOS 16).
    static func fallbackName() -> String {
        let tag = UIDevice.current.identifierForVendor.map { String($0.uuidString.prefix(4)) } ?? "----"
        return "\(modelIdentifier())-\(tag)"
    }
}

/// Where the store lives: its own folder in Application Support, excluded
/// from backups (with the store's `-wal` and `-shm` beside it) and readable
/// after the first unlock, before the store is opened.
enum StoreFolder {
    private static let log = Logger(subsystem: "jp.houmon.app", category: "store")

    static func databasePath() -> String {
        let files = FileManager.default
        let support = files.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
        var folder = support.appendingPathComponent("Houmon", isDirectory: true)
        do {
            try files.createDirectory(
                at: folder,
                withIntermediateDirectories: true,
                attributes: [.protectionKey: FileProtectionType.completeUntilFirstUserAuthentication]
            )
            var values = URLResourceValues()
            values.isExcludedFromBackup = true
            try folder.setResourceValues(values)
        } catch {
            // The core's open then fails and shows its recovery screen.
            log.error("store folder: \(String(describing: error), privacy: .public)")
        }
        return folder.appendingPathComponent("houmon.sqlite").path
    }
}
