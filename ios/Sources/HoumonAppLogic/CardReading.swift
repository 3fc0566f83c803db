// SPDX-License-Identifier: MPL-2.0
import HoumonCore

/// Something that can put a card in front of the core: the NFC sheet on an
/// iPhone (`HoumonNFC.NFCCardSession`), a simulated card in previews.
///
/// `read` opens the reader with `prompt`, waits for one マイナンバーカード,
/// and runs `body` with its transport and a progress listener whose line
/// the reader shows. It ends the reader with success, or with the error's
/// Japanese message, and returns or rethrows what `body` did.
public protocol CardReading: Sendable {
    func read(
        prompt: String,
        _ body: @escaping @Sendable (CardTransport, ReadProgressListener) async throws -> VisitStep
    ) async throws -> VisitStep
}
