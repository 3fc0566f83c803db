// SPDX-License-Identifier: MPL-2.0
import Foundation
import HoumonCore

/// Enrolment from the clinic's one-time QR code (scanned, or its text
/// pasted). A bare code is not accepted: the QR also carries the
/// fingerprint the phone pins.
@MainActor
public final class EnrolmentModel: ObservableObject {
    public static let prefix = "houmon://enrol?"
    public static let notOurs = "クリニックの登録用QRコードではありません。管理画面で発行されたQRコードを読み取ってください。"

    @Published public private(set) var enrolment: Enrolment?
    @Published public private(set) var busy = false
    @Published public private(set) var error: String?

    private let core: HoumonCore

    public init(core: HoumonCore) {
        self.core = core
        enrolment = core.enrolment()
    }

    @discardableResult
    public func enrol(text: String, deviceName: String) async -> Bool {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard t.hasPrefix(Self.prefix) else {
            error = Self.notOurs
            return false
        }
        busy = true
        defer { busy = false }
        do {
            enrolment = try await core.enrol(enrolment: t, deviceName: deviceName.isEmpty ? "iPhone" : deviceName)
            error = nil
            return true
        } catch {
            self.error = staffText(error)
            return false
        }
    }
}
