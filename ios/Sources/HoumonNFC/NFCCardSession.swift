// SPDX-License-Identifier: MPL-2.0
#if canImport(CoreNFC)
import CoreNFC
import Foundation
import HoumonAppLogic
import HoumonCore

/// The NFC sheet as the app logic's `CardReading`: an
/// `NFCTagReaderSession` polling ISO 14443. The OS selects only the two
/// applications in Info.plist's `select-identifiers` (JPKI and 券面事項確認AP).
/// The sheet shows the core's progress line; several tags, or a tag that is
/// not a マイナンバーカード, get a message and polling restarts; an error ends
/// the sheet with the core's Japanese message. A lost tag ends this session;
/// the visit stays at "hold the card" and the next session resumes.
public final class NFCCardSession: NSObject, CardReading, NFCTagReaderSessionDelegate, @unchecked Sendable {
    private var session: NFCTagReaderSession?
    private var detected: CheckedContinuation<(NFCTagReaderSession, NFCISO7816Tag), Error>?
    private let lock = NSLock()

    public static var available: Bool { NFCTagReaderSession.readingAvailable }

    public override init() {
        super.init()
    }

    public func read(
        prompt: String,
        _ body: @escaping @Sendable (CardTransport, ReadProgressListener) async throws -> VisitStep
    ) async throws -> VisitStep {
        let (session, tag) = try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            detected = continuation
            lock.unlock()
            guard let s = NFCTagReaderSession(pollingOption: .iso14443, delegate: self, queue: nil) else {
                resume(with: .failure(TransportFailure.Io(reason: "NFC is not available")))
                return
            }
            s.alertMessage = prompt
            self.session = s
            s.begin()
        }
        let progress = SheetProgress(session: session)
        do {
            let step = try await body(NFCCardTransport(tag: tag), progress)
            session.alertMessage = Labels.readDone
            session.invalidate()
            return step
        } catch let e as HoumonError {
            session.invalidate(errorMessage: e.staffText)
            throw e
        } catch {
            session.invalidate(errorMessage: Labels.cardAgain)
            throw error
        }
    }

    private func resume(with result: Result<(NFCTagReaderSession, NFCISO7816Tag), Error>) {
        lock.lock()
        let c = detected
        detected = nil
        lock.unlock()
        c?.resume(with: result)
    }

    // MARK: NFCTagReaderSessionDelegate

    public func tagReaderSessionDidBecomeActive(_ session: NFCTagReaderSession) {}

    public func tagReaderSession(_ session: NFCTagReaderSession, didInvalidateWithError error: Error) {
        // Ends a wait for a tag (cancelled by the user, timed out); a read
        // in progress sees the session's errors through its transport.
        resume(with: .failure(error))
    }

    public func tagReaderSession(_ session: NFCTagReaderSession, didDetect tags: [NFCTag]) {
        if tags.count > 1 {
            session.alertMessage = Labels.oneCardOnly
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { session.restartPolling() }
            return
        }
        guard let first = tags.first, case let .iso7816(tag) = first else {
            session.alertMessage = Labels.notMyNumberCard
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { session.restartPolling() }
            return
        }
        Task {
            do {
                try await session.connect(to: first)
                self.resume(with: .success((session, tag)))
            } catch {
                session.alertMessage = Labels.cardAgain
                session.restartPolling()
            }
        }
    }
}

/// The core's progress line, shown in the NFC sheet.
private final class SheetProgress: ReadProgressListener, @unchecked Sendable {
    private let session: NFCTagReaderSession

    init(session: NFCTagReaderSession) {
        self.session = session
    }

    func onProgress(progress: ReadProgress) {
        let filled = progress.expected > 0 ? Int(10 * progress.done / progress.expected) : 0
        session.alertMessage = progress.message + "\n" + String(repeating: "●", count: filled)
            + String(repeating: "○", count: 10 - filled)
    }
}
#endif
