// SPDX-License-Identifier: MPL-2.0
#if canImport(CoreNFC)
import CoreNFC
import Foundation
import HoumonCore

/// The core's `CardTransport` over a connected `NFCISO7816Tag`. The core
/// plans its reads within the iPhone's limits (`iphoneTransportLimits()`:
/// short APDUs, answers of at most 256 bytes), so that a read fits the NFC
/// session and the tag is not dropped on a long answer.
///
/// CoreNFC's values are not `Sendable`: the tag stays inside this object
/// (the core calls it from its own threads, one APDU at a time) and only
/// `Data` and the error cross back through the continuation.
public final class NFCCardTransport: CardTransport, @unchecked Sendable {
    private let tag: NFCISO7816Tag

    public init(tag: NFCISO7816Tag) {
        self.tag = tag
    }

    public func transceive(apdu: Data) async throws -> Data {
        guard let command = NFCISO7816APDU(data: apdu) else {
            throw TransportFailure.Io(reason: "CoreNFC did not accept the APDU")
        }
        return try await withCheckedThrowingContinuation { (answer: CheckedContinuation<Data, Error>) in
            tag.sendCommand(apdu: command) { data, sw1, sw2, error in
                if let error = error as? NFCReaderError {
                    answer.resume(throwing: Self.failure(error))
                } else if let error {
                    let e = error as NSError
                    answer.resume(throwing: TransportFailure.Io(reason: "\(e.domain) \(e.code)"))
                } else {
                    answer.resume(returning: data + Data([sw1, sw2]))
                }
            }
        }
    }

    public func limits() -> TransportLimits {
        iphoneTransportLimits()
    }

    /// A lost tag first, then time-outs; anything else is I/O.
    static func failure(_ error: NFCReaderError) -> TransportFailure {
        switch error.code {
        case .readerTransceiveErrorTagConnectionLost,
             .readerTransceiveErrorTagNotConnected,
             .readerTransceiveErrorSessionInvalidated:
            return .TagLost
        case .readerSessionInvalidationErrorSessionTimeout,
             .readerTransceiveErrorRetryExceeded:
            return .Timeout
        default:
            return .Io(reason: "NFCReaderError \(error.code.rawValue)")
        }
    }
}
#endif
