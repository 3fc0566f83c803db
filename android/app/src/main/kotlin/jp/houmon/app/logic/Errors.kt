// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.logic

import jp.houmon.core.HoumonException

/** The Japanese text staff see for a core error (the core wrote it). */
val HoumonException.staffText: String
    get() = when (this) {
        is HoumonException.WrongSecret -> staffMessage
        is HoumonException.CardRemoved -> staffMessage
        is HoumonException.CardProblem -> staffMessage
        is HoumonException.Cancelled -> staffMessage
        is HoumonException.WrongStep -> staffMessage
        is HoumonException.InvalidInput -> staffMessage
        is HoumonException.WrongKey -> staffMessage
        is HoumonException.Storage -> staffMessage
        is HoumonException.Network -> staffMessage
        is HoumonException.NotRegistered -> staffMessage
        is HoumonException.Internal -> staffMessage
    }

/** The stable machine-readable code (for logs and support). */
val HoumonException.errorCode: String
    get() = when (this) {
        is HoumonException.WrongSecret -> code
        is HoumonException.CardRemoved -> code
        is HoumonException.CardProblem -> code
        is HoumonException.Cancelled -> code
        is HoumonException.WrongStep -> code
        is HoumonException.InvalidInput -> code
        is HoumonException.WrongKey -> code
        is HoumonException.Storage -> code
        is HoumonException.Network -> code
        is HoumonException.NotRegistered -> code
        is HoumonException.Internal -> code
    }
