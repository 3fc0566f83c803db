// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.logic

import jp.houmon.core.ConsentCategory
import jp.houmon.core.ConsentTerm
import jp.houmon.core.IdentityMode
import jp.houmon.core.Prescription
import jp.houmon.core.RefusalReason
import jp.houmon.core.UnavailableReason
import jp.houmon.core.VisualReason

/** One choice on the mode screen: offered, or greyed with the core's reason. */
data class ModeOption(
    val mode: IdentityMode,
    val label: String,
    val enabled: Boolean,
    val reason: UnavailableReason?,
    val whyNot: String?,
)

/** Whether the record reached the clinic. */
enum class Delivery(val text: String) {
    STORED(Labels.STORED),
    SENT(Labels.SENT),
    WEDGED(Labels.WEDGED),
}

/**
 * What the visit screen shows: one case per step of the core's session,
 * with the words already chosen. The Compose UI draws these and nothing
 * else; every decision is the core's ([VisitController] relays).
 * `error` is the core's Japanese message for the last thing that went wrong
 * on this screen.
 */
sealed class VisitScreen {
    abstract val error: String?

    data class Starting(override val error: String? = null) : VisitScreen()

    data class ChooseMode(
        val patientName: String?,
        val options: List<ModeOption>,
        override val error: String? = null,
    ) : VisitScreen()

    /** The PIN pad (masked). `warning` is the core's message (tries left, locked soon). */
    data class EnterPin(
        val triesLeft: Int?,
        val warning: String?,
        override val error: String? = null,
    ) : VisitScreen()

    data class EnterCollation(
        val triesLeft: Int?,
        val warning: String?,
        override val error: String? = null,
    ) : VisitScreen()

    /** The try that could lock the card: the patient must say yes. */
    data class ConfirmLastTry(
        val mode: IdentityMode,
        val message: String,
        override val error: String? = null,
    ) : VisitScreen()

    /** Reader mode is on only on this screen. */
    data class HoldCard(
        val mode: IdentityMode,
        val line: String,
        val done: Int,
        val expected: Int,
        val reading: Boolean,
        val antennaHint: String,
        override val error: String? = null,
    ) : VisitScreen()

    data class WrongCard(
        val belongsToPatientId: String,
        val belongsToName: String,
        val message: String,
        override val error: String? = null,
    ) : VisitScreen()

    data class ConfirmNewCard(val message: String, override val error: String? = null) : VisitScreen()

    data class ComparePhoto(
        val png: ByteArray,
        val width: Int,
        val height: Int,
        val note: String,
        val reasons: List<Pair<VisualReason, String>>,
        override val error: String? = null,
    ) : VisitScreen() {
        override fun equals(other: Any?): Boolean =
            other is ComparePhoto && png.contentEquals(other.png) && error == other.error
        override fun hashCode(): Int = png.contentHashCode()
    }

    data class Consent(
        val mode: IdentityMode,
        val term: ConsentTerm,
        val categories: List<Pair<ConsentCategory, String>>,
        val prescriptions: List<Pair<Prescription, String>>,
        override val error: String? = null,
    ) : VisitScreen()

    /** Identity was not confirmed; reception guidance is one tap away. */
    data class Refused(
        val reason: RefusalReason,
        val message: String,
        override val error: String? = null,
    ) : VisitScreen()

    data class Done(
        val recordId: String,
        val term: ConsentTerm,
        val delivery: Delivery,
        val deliveryNote: String?,
        override val error: String? = null,
    ) : VisitScreen()

    data class Cancelled(override val error: String? = null) : VisitScreen()
}
