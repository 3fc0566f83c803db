// SPDX-License-Identifier: MPL-2.0
import Foundation
import HoumonCore
import Security

/// The 32-byte key of the core's encrypted store, in the Keychain: this
/// device only, readable after the first unlock (so that a sync in the
/// background works while the phone is locked), never in a backup. Made on
/// first use; `resetDatabaseKey` (the recovery's 「データを消して登録し直す」)
/// deletes it, so that the next open makes a new one.
final class KeychainKeys: KeyProvider, @unchecked Sendable {
    private let service = "jp.houmon.store"
    private let account = "database-key"

    func databaseKey() throws -> Data {
        if let existing = try read() { return existing }
        var bytes = [UInt8](repeating: 0, count: 32)
        guard SecRandomCopyBytes(kSecRandomDefault, bytes.count, &bytes) == errSecSuccess else {
            throw KeyProviderFailure.Unavailable(reason: "SecRandomCopyBytes")
        }
        let key = Data(bytes)
        for i in bytes.indices { bytes[i] = 0 }
        var add = base
        add[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        add[kSecValueData as String] = key
        switch SecItemAdd(add as CFDictionary, nil) {
        case errSecSuccess:
            return key
        case errSecDuplicateItem:
            // Another first use won the race: its key is the store's.
            if let winner = try read() { return winner }
            throw KeyProviderFailure.Unavailable(reason: "SecItemAdd duplicate, then not found")
        case let status:
            throw KeyProviderFailure.Unavailable(reason: "SecItemAdd \(status)")
        }
    }

    func resetDatabaseKey() throws {
        let status = SecItemDelete(base as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw KeyProviderFailure.Unavailable(reason: "SecItemDelete \(status)")
        }
    }

    private var base: [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
        ]
    }

    private func read() throws -> Data? {
        var query = base
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        switch status {
        case errSecSuccess: return item as? Data
        case errSecItemNotFound: return nil
        default: throw KeyProviderFailure.Unavailable(reason: "SecItemCopyMatching \(status)")
        }
    }
}
