// SPDX-License-Identifier: MPL-2.0
import HoumonCore

public extension HoumonError {
    /// The Japanese text staff see (the core wrote it).
    var staffText: String {
        switch self {
        case let .WrongSecret(_, _, _, staffMessage, _),
             let .CardRemoved(_, staffMessage, _),
             let .CardProblem(_, staffMessage, _),
             let .Cancelled(_, staffMessage, _),
             let .WrongStep(_, staffMessage, _),
             let .InvalidInput(_, staffMessage, _),
             let .WrongKey(_, staffMessage, _),
             let .Storage(_, staffMessage, _),
             let .Network(_, staffMessage, _),
             let .NotRegistered(_, staffMessage, _),
             let .Internal(_, staffMessage, _):
            return staffMessage
        }
    }

    /// The stable machine-readable code.
    var errorCode: String {
        switch self {
        case let .WrongSecret(_, _, code, _, _),
             let .CardRemoved(code, _, _),
             let .CardProblem(code, _, _),
             let .Cancelled(code, _, _),
             let .WrongStep(code, _, _),
             let .InvalidInput(code, _, _),
             let .WrongKey(code, _, _),
             let .Storage(code, _, _),
             let .Network(code, _, _),
             let .NotRegistered(code, _, _),
             let .Internal(code, _, _):
            return code
        }
    }
}

/// Any error as staff text: the core's message, or a general one.
func staffText(_ error: Error) -> String {
    (error as? HoumonError)?.staffText ?? "予期しないエラーが発生しました。もう一度お試しください。"
}
