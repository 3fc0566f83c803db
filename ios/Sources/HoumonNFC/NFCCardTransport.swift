// SPDX-License-Identifier: MPL-2.0
#if canImport(CoreNFC)
import CoreNFC
import Foundation
import HoumonCore

/// The core's `CardTransport` over a connected `NFCISO7816Tag`. The core
/// plans its reads within the iPhone's limits (`iphoneTransportLimits()`:
/// short APDUs, answers of at most 1 KB), so that a read fits the NFC
/// session and the tag is not dropped on a long answer.
public final class NFCCardTransport: CardTransport, @unchecked Sendable {
    private let tag: NFCISO7816Tag

    public init(tag: NFCISO7816Tag) {
        self.tag = tag
    }

    public func transceive(apdu: Data) async throws -> Data {
        guard let command = NFCISO7816APDU(data: apdu) else {
            throw TransportFailure.Io(reason: "CoreNFC did not accept the APDU")
        }
        do {
            let (data, sw1, sw2) = try await tag.sendCommand(apdu: command)
            return data + Data([sw1, sw2])
        } catch let error as NFCReaderError {
            throw Self.failure(error)
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
