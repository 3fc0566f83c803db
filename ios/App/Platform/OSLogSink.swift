// SPDX-License-Identifier: MPL-2.0
import HoumonCore
import os

/// The core's logs (never a PIN or personal data: the core sees to it) to
/// the unified log.
final class OSLogSink: LogSink, @unchecked Sendable {
    private let logger = Logger(subsystem: "jp.houmon.app", category: "core")

    func log(level: LogLevel, target: String, message: String) {
        switch level {
        case .error: logger.error("\(target, privacy: .public): \(message, privacy: .public)")
        case .warn: logger.warning("\(target, privacy: .public): \(message, privacy: .public)")
        case .info: logger.info("\(target, privacy: .public): \(message, privacy: .public)")
        case .debug: logger.debug("\(target, privacy: .public): \(message, privacy: .public)")
        }
    }
}
