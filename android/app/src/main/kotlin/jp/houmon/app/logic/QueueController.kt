// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.logic

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import jp.houmon.core.HoumonCore
import jp.houmon.core.HoumonException
import jp.houmon.core.QueueEntry
import jp.houmon.core.QueueState

data class QueueRow(
    val id: String,
    val state: QueueState,
    val created: String,
    /** For a wedged record: the clinic's reason, in Japanese. */
    val reason: String?,
    val attempts: Int,
)

data class QueueScreen(val pending: List<QueueRow>, val wedged: List<QueueRow>, val error: String? = null)

/**
 * The records not yet accepted: pending ones (sent when the network is
 * there) and wedged ones (refused by the clinic, with its reason), which
 * staff retry after fixing the cause or discard after a confirmation.
 */
class QueueController(private val core: HoumonCore) {
    private val _screen = MutableStateFlow(QueueScreen(emptyList(), emptyList()))
    val screen: StateFlow<QueueScreen> = _screen.asStateFlow()

    suspend fun load() {
        try {
            _screen.value = QueueScreen(
                core.queue(QueueState.PENDING).map(::row),
                core.queue(QueueState.WEDGED).map(::row),
            )
        } catch (e: HoumonException) {
            _screen.value = _screen.value.copy(error = e.staffText)
        }
    }

    suspend fun retry(id: String) = change { core.retry(id) }

    /** Only after staff confirmed: the record is gone from this phone. */
    suspend fun discard(id: String) = change { core.discard(id) }

    private suspend fun change(call: suspend () -> Unit) {
        try {
            call()
            load()
        } catch (e: HoumonException) {
            _screen.value = _screen.value.copy(error = e.staffText)
        }
    }

    private fun row(e: QueueEntry) = QueueRow(
        id = e.id,
        state = e.state,
        created = e.createdAt.japanese(),
        reason = e.wedgeReason?.substringAfter(": ", e.wedgeReason ?: ""),
        attempts = e.attempts.toInt(),
    )
}
