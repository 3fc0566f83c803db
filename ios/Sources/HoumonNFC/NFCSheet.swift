// SPDX-License-Identifier: MPL-2.0
#if canImport(CoreNFC)
import CoreNFC
import Foundation
import HoumonCore
import os

/// The NFC sheet: an `NFCTagReaderSession` polling ISO 14443, opened by
/// 「カードを読み取る」. At discovery iOS selects the first application of
/// Info.plist's select-identifiers the card has (JPKI-AP, 券面事項確認AP);
/// the core's allow-list guards every later SELECT.
///
/// A card found is handed to the core (`tap`); while it reads, the sheet
/// shows the core's line for the visit. The sheet ends when the core's view
/// leaves the card (with 「読み取りました」, or the core's message as the
/// sheet's error). A lost card keeps the same session and polls again while
/// the session has time left. The user's cancel, the 60 s session limit and
/// "system busy" end the sheet quietly: the screen stays where the core left
/// it, with 「カードを読み取る」 to try again.
///
/// The delegate runs on the main queue (`queue: .main`), so every callback
/// is on the main actor; CoreNFC's values never cross to another task.
@MainActor
public final class NFCSheet: NSObject {
    /// Hands a connected card to the core (`AppModel.cardTapped`).
    public typealias Tap = @MainActor (CardTransport) -> TapAnswer

    /// CoreNFC ends a session this long after it began.
    static let sessionLimit: TimeInterval = 60
    /// Polling again after a lost card needs this much of the session left.
    static let timeToPollAgain: TimeInterval = 10

    private let tap: Tap
    private var session: NFCTagReaderSession?
    private var began = Date.distantPast
    /// The core's line for the card now, and its message for what went wrong.
    private var line = ""
    private var problem: String?
    private var busyRetried = false
    private let log = Logger(subsystem: "jp.houmon.app", category: "nfc")

    /// This iPhone can read tags (iPhone 7 or later, not an iPad).
    public static var available: Bool { NFCTagReaderSession.readingAvailable }

    public init(tap: @escaping Tap) {
        self.tap = tap
        super.init()
    }

    /// Whether the sheet is open.
    public var isOpen: Bool { session != nil }

    /// 「カードを読み取る」: opens the sheet with the screen's line.
    public func begin(line: String) {
        busyRetried = false
        open(line: line)
    }

    private func open(line: String) {
        guard session == nil, Self.available else { return }
        guard let s = NFCTagReaderSession(pollingOption: .iso14443, delegate: self, queue: .main) else { return }
        self.line = line
        problem = nil
        s.alertMessage = line
        session = s
        began = Date()
        s.begin()
    }

    /// Every view the core sends while the sheet is open.
    public func follow(_ view: AppView) {
        guard let s = session else { return }
        guard case let .visit(visit) = view.screen else {
            // The visit is gone (cancelled, signed out): nothing to read for.
            return end(s, error: nil, message: nil)
        }
        problem = visit.error
        switch visit.screen {
        case let .holdCard(_, line, _, done, expected, _):
            self.line = line
            s.alertMessage = Self.sheetLine(line, done: done, expected: expected)
        case .comparePhoto, .consent, .done:
            end(s, error: nil, message: SheetWords.readDone)
        case let .confirmLastTry(_, message), let .confirmNewCard(message), let .cancelled(message):
            end(s, error: nil, message: message)
        case let .wrongCard(_, _, message), let .refused(_, message, _):
            end(s, error: visit.error ?? message, message: nil)
        case .starting, .chooseMode, .enterPin, .enterCollation:
            end(s, error: visit.error ?? SheetWords.seeScreen, message: nil)
        }
    }

    /// `Effect.feedback`: how the read ended.
    public func readEnded(_ kind: FeedbackKind) {
        guard let s = session else { return }
        switch kind {
        case .cardLost:
            if Date().timeIntervalSince(began) < Self.sessionLimit - Self.timeToPollAgain {
                s.alertMessage = line
                s.restartPolling()
            } else {
                end(s, error: line, message: nil)
            }
        case .readFailed:
            end(s, error: problem ?? line, message: nil)
        case .readSucceeded, .notNow:
            break  // the view that came with it ends the sheet (`follow`)
        }
    }

    private func end(_ s: NFCTagReaderSession, error: String?, message: String?) {
        session = nil
        if let error {
            s.invalidate(errorMessage: error)
        } else {
            if let message { s.alertMessage = message }
            s.invalidate()
        }
    }

    private func pollAgain(after delay: TimeInterval) {
        DispatchQueue.main.asyncAfter(deadline: .now() + delay) {
            MainActor.assumeIsolated { self.session?.restartPolling() }
        }
    }

    static func sheetLine(_ line: String, done: UInt32, expected: UInt32) -> String {
        guard expected > 0 else { return line }
        let filled = Int(min(10, 10 * done / expected))
        return line + "\n" + String(repeating: "●", count: filled) + String(repeating: "○", count: 10 - filled)
    }

    // MARK: the delegate's callbacks (on the main queue)

    private func detected(_ s: NFCTagReaderSession, _ tags: [NFCTag]) {
        guard s === session else { return }
        if tags.count > 1 {
            s.alertMessage = SheetWords.oneCardOnly
            return pollAgain(after: 0.5)
        }
        guard let first = tags.first, case let .iso7816(tag) = first else {
            s.alertMessage = SheetWords.notMyNumberCard
            return pollAgain(after: 0.5)
        }
        let found = Found(session: s, tag: tag)
        s.connect(to: first) { error in
            DispatchQueue.main.async {
                MainActor.assumeIsolated { self.connected(found, failed: error != nil) }
            }
        }
    }

    private func connected(_ found: Found, failed: Bool) {
        guard found.session === session else { return }
        if failed {
            found.session.alertMessage = line
            return pollAgain(after: 0.5)
        }
        switch tap(NFCCardTransport(tag: found.tag)) {
        case .reading:
            break  // the core's views and feedback follow
        case let .notNow(message):
            end(found.session, error: message, message: nil)
        }
    }

    private func invalidated(_ s: NFCTagReaderSession, code: NFCReaderError.Code?) {
        // A sheet this object ended itself is already forgotten.
        guard s === session else { return }
        session = nil
        switch code {
        case .readerSessionInvalidationErrorSystemIsBusy?:
            // Another session was still closing: try once more, shortly.
            guard !busyRetried else { return }
            busyRetried = true
            DispatchQueue.main.asyncAfter(deadline: .now() + 1) {
                MainActor.assumeIsolated { self.open(line: self.line) }
            }
        case .readerSessionInvalidationErrorUserCanceled?,
             .readerSessionInvalidationErrorSessionTimeout?:
            break  // the nurse closed it, or a minute passed: not an error
        default:
            log.error("NFC session ended: \(code?.rawValue ?? -1, privacy: .public)")
        }
    }
}

extension NFCSheet: NFCTagReaderSessionDelegate {
    public nonisolated func tagReaderSessionDidBecomeActive(_ session: NFCTagReaderSession) {}

    public nonisolated func tagReaderSession(_ session: NFCTagReaderSession, didInvalidateWithError error: Error) {
        let code = (error as? NFCReaderError)?.code
        MainActor.assumeIsolated { self.invalidated(session, code: code) }
    }

    public nonisolated func tagReaderSession(_ session: NFCTagReaderSession, didDetect tags: [NFCTag]) {
        MainActor.assumeIsolated { self.detected(session, tags) }
    }
}

/// A session and its tag, carried together to the main queue after
/// `connect` (CoreNFC's values are not `Sendable`; they are used only there).
private final class Found: @unchecked Sendable {
    let session: NFCTagReaderSession
    let tag: NFCISO7816Tag

    init(session: NFCTagReaderSession, tag: NFCISO7816Tag) {
        self.session = session
        self.tag = tag
    }
}

/// The sheet's own words (the sheet is iOS's; the core's lines fill the rest).
enum SheetWords {
    static let readDone = "読み取りました"
    static let oneCardOnly = "カードを1枚だけ当ててください"
    static let notMyNumberCard = "マイナンバーカードではないようです。マイナンバーカードを当ててください"
    static let seeScreen = "画面の案内に従ってください"
}
#endif
