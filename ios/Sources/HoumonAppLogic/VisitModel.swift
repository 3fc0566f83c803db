// SPDX-License-Identifier: MPL-2.0
import Foundation
import HoumonCore

/// One offered or greyed identity mode.
public struct ModeOption: Equatable, Identifiable {
    public var id: String { Labels.mode(mode) }
    public let mode: IdentityMode
    public let label: String
    public let enabled: Bool
    public let whyNot: String?
}

/// Whether the record reached the clinic.
public enum Delivery: Equatable {
    case stored, sent, wedged(reason: String?)

    public var text: String {
        switch self {
        case .stored: return Labels.stored
        case .sent: return Labels.sent
        case .wedged: return Labels.wedged
        }
    }
}

/// What the visit screen shows: one case per core step (`docs/screens.md`).
public enum VisitScreen: Equatable {
    case starting
    case chooseMode(patientName: String?, options: [ModeOption])
    case enterPin(triesLeft: Int?, warning: String?)
    case enterCollation(triesLeft: Int?, warning: String?)
    case confirmLastTry(message: String)
    /// The NFC sheet is opened from here; `line` is what it says.
    case holdCard(mode: IdentityMode, line: String, reading: Bool)
    case wrongCard(patientId: String, name: String, message: String)
    case confirmNewCard(message: String)
    case comparePhoto(png: Data, note: String)
    case consent(mode: IdentityMode, term: ConsentTerm)
    case refused(message: String)
    case done(recordId: String, term: ConsentTerm, delivery: Delivery)
    case cancelled
}

/// The screen model of one visit: holds the core's `VisitSession`, turns
/// each `VisitStep` into a `VisitScreen`, relays staff input. The core
/// decides; this draws nothing and decides nothing.
@MainActor
public final class VisitModel: ObservableObject {
    @Published public private(set) var screen: VisitScreen = .starting
    /// The core's Japanese message for the last thing that went wrong.
    @Published public private(set) var error: String?

    private let core: HoumonCore
    private let staffId: String
    private let onStored: (String) -> Void
    private var session: VisitSession?
    public private(set) var patientId: String?
    private var patientName: String?
    /// The identity was refused because the photo did not match.
    public private(set) var refusedOnPhoto = false

    public init(core: HoumonCore, staffId: String, onStored: @escaping (String) -> Void = { _ in }) {
        self.core = core
        self.staffId = staffId
        self.onStored = onStored
    }

    public func start(patientId: String?, patientName: String?, kind: VisitKind, roundDay: Date) async {
        if let s = session { _ = s.cancel() }
        self.patientId = patientId
        self.patientName = patientName
        screen = .starting
        error = nil
        do {
            let s = try await core.startVisit(start: VisitStart(
                patientId: patientId, kind: kind, firstVisitOn: nil, roundDay: CalendarDate.inJapan(roundDay)
            ))
            session = s
            render(s.step())
        } catch {
            self.error = staffText(error)
        }
    }

    public func chooseMode(_ mode: IdentityMode) { act { try $0.chooseMode(mode: mode) } }

    /// The digits come from the app's keypad as bytes and are wiped here;
    /// the String handed to the core is not kept.
    public func submitPin(_ digits: inout [UInt8]) {
        let text = String(decoding: digits, as: UTF8.self)
        for i in digits.indices { digits[i] = 0 }
        act { try $0.enterPin(pin: text) }
    }

    public func submitCollation(_ digits: inout [UInt8]) {
        let text = String(decoding: digits, as: UTF8.self)
        for i in digits.indices { digits[i] = 0 }
        act { try $0.enterCollation(value: text) }
    }

    public func confirmLastTry() { act { try $0.confirmLastTry() } }
    public func backToModeChoice() { act { try $0.backToModeChoice() } }
    public func holdAnotherCard() { act { try $0.holdAnotherCard() } }
    public func confirmNewCard() { act { try $0.confirmNewCard() } }
    public func photoMatches(reason: VisualReason, note: String) {
        act { [staffId] in try $0.photoMatches(checkedBy: staffId, reason: reason, note: note) }
    }
    public func photoDoesNotMatch() { act { try $0.photoDoesNotMatch() } }

    public func cancel() {
        guard let s = session else { return }
        render(s.cancel())
    }

    /// Opens the reader (the NFC sheet) and reads the card. A card pulled
    /// away leaves the visit at `holdCard`: reading again resumes.
    public func readCard(with reader: CardReading) async {
        guard let s = session, case let .holdCard(mode, line, reading) = screen, !reading else { return }
        screen = .holdCard(mode: mode, line: line, reading: true)
        error = nil
        do {
            let step = try await reader.read(prompt: line) { transport, progress in
                try await s.readCard(transport: transport, progress: progress)
            }
            render(step)
        } catch let e as HoumonError {
            failed(s, e)
        } catch {
            render(s.step())
            self.error = staffText(error)
        }
    }

    public func giveConsent(comprehensive: Bool, categories: [ConsentCategory], prescription: Prescription) async {
        guard let s = session else { return }
        do {
            render(try await s.giveConsent(consent: ConsentInput(
                comprehensive: comprehensive, categories: categories, prescription: prescription
            )))
        } catch let e as HoumonError {
            failed(s, e)
        } catch {
            self.error = staffText(error)
        }
    }

    /// After a sync: did this visit's record reach the clinic?
    public func refreshDelivery() async {
        guard case let .done(id, term, _) = screen else { return }
        do {
            if let w = try await core.queue(state: .wedged).first(where: { $0.id == id }) {
                screen = .done(recordId: id, term: term, delivery: .wedged(reason: w.wedgeReason))
            } else if try await core.queue(state: .sent).contains(where: { $0.id == id }) {
                screen = .done(recordId: id, term: term, delivery: .sent)
            }
        } catch {
            self.error = staffText(error)
        }
    }

    private func act(_ call: (VisitSession) throws -> VisitStep) {
        guard let s = session else { return }
        do {
            error = nil
            render(try call(s))
        } catch let e as HoumonError {
            failed(s, e)
        } catch {
            self.error = staffText(error)
        }
    }

    private func failed(_ s: VisitSession, _ e: HoumonError) {
        switch e {
        case .Cancelled:
            screen = .cancelled
        case .CardRemoved:
            render(s.step())
            if case let .holdCard(mode, _, _) = screen {
                screen = .holdCard(mode: mode, line: Labels.cardAgain, reading: false)
            }
        default:
            render(s.step())
        }
        error = e.staffText
    }

    private func render(_ step: VisitStep) {
        switch step {
        case let .chooseMode(offered, unavailable):
            let modes: [IdentityMode] = [.pin, .visual]
            screen = .chooseMode(patientName: patientName, options: modes.map { mode in
                ModeOption(
                    mode: mode,
                    label: Labels.mode(mode),
                    enabled: offered.contains(mode),
                    whyNot: unavailable.first(where: { $0.mode == mode })?.message
                )
            })
        case let .enterPin(triesLeft, message):
            screen = .enterPin(triesLeft: triesLeft.map(Int.init), warning: message)
        case let .enterCollation(triesLeft, message):
            screen = .enterCollation(triesLeft: triesLeft.map(Int.init), warning: message)
        case let .holdCard(mode, message):
            screen = .holdCard(mode: mode, line: message ?? Labels.holdCard, reading: false)
        case let .confirmLastTry(_, message):
            screen = .confirmLastTry(message: message)
        case let .wrongCard(_, belongsToPatientId, belongsToName, message):
            screen = .wrongCard(patientId: belongsToPatientId, name: belongsToName, message: message)
        case let .confirmNewCard(_, message):
            screen = .confirmNewCard(message: message)
        case let .comparePhoto(png, _, _):
            screen = .comparePhoto(png: png, note: Labels.photoNote)
        case let .identityConfirmed(mode, consent):
            screen = .consent(mode: mode, term: consent)
        case let .identityRefused(reason, message):
            refusedOnPhoto = reason == .photoMismatch
            screen = .refused(message: message)
        case let .done(recordId, consent):
            screen = .done(recordId: recordId, term: consent, delivery: .stored)
            onStored(recordId)
        case .cancelled:
            screen = .cancelled
        }
    }
}

extension CalendarDate {
    /// The day `date` falls on in Japan.
    public static func inJapan(_ date: Date) -> CalendarDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Tokyo") ?? .current
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return CalendarDate(year: Int32(c.year ?? 1970), month: UInt8(c.month ?? 1), day: UInt8(c.day ?? 1))
    }

    public var japanese: String { "\(month)月\(day)日" }
}
