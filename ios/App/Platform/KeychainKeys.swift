// SPDX-License-Identifier: MPL-2.0
import Foundation
import HoumonCore
import Security

/// The 32-byte key of the core's encrypted store, in the Keychain: this
/// device only, readable after the first unlock (so a sync in the
/// background works), never in a backup. Made on first use.
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
        let add: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
            kSecValueData as String: key,
        ]
        let status = SecItemAdd(add as CFDictionary, nil)
        guard status == errSecSuccess else {
            throw KeyProviderFailure.Unavailable(reason: "SecItemAdd \(status)")
        }
        return key
    }

    private func read() throws -> Data? {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecReturnData as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        switch status {
        case errSecSuccess: return item as? Data
        case errSecItemNotFound: return nil
        default: throw KeyProviderFailure.Unavailable(reason: "SecItemCopyMatching \(status)")
        }
    }
}
