// SPDX-License-Identifier: MPL-2.0
import HoumonCore
import os

/// The core's logs to the unified log. The core never logs a PIN or
/// personal data, but its messages are still `.private` (shown only on a
/// device with a logging profile); the target (the core's module) is safe.
final class OSLogSink: LogSink, @unchecked Sendable {
    private let logger = Logger(subsystem: "jp.houmon.app", category: "core")

    func log(level: LogLevel, target: String, message: String) {
        switch level {
        case .error: logger.error("\(target, privacy: .public): \(message, privacy: .private)")
        case .warn: logger.warning("\(target, privacy: .public): \(message, privacy: .private)")
        case .info: logger.info("\(target, privacy: .public): \(message, privacy: .private)")
        case .debug: logger.debug("\(target, privacy: .public): \(message, privacy: .private)")
        }
    }
}
