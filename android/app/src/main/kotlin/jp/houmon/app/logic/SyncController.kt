// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.logic

import java.time.Instant
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import jp.houmon.core.HoumonCore
import jp.houmon.core.HoumonException
import jp.houmon.core.QueueState
import jp.houmon.core.SyncSummary

data class SyncStatus(
    val online: Boolean,
    val running: Boolean,
    val pending: Int,
    val wedged: Int,
    /** One line for the round screen's header. */
    val line: String,
    /** When the platform should wake the app to try again (a job's earliest start). */
    val nextTryAt: Instant?,
    val last: SyncSummary? = null,
)

/**
 * When to send: as soon as the network comes back, right after a visit is
 * stored, and when the core's backoff says the next retry is due (the
 * platform's job scheduler wakes the app then). One sync at a time; a call
 * while one runs waits for it and then runs again only if something is
 * still pending. Nothing is ever shown as 「有効」 from here: results come
 * only from the server (the round screen reloads after a sync).
 */
class SyncController(private val core: HoumonCore, private val now: () -> Instant = Instant::now) {
    private val lock = Mutex()
    private val _status = MutableStateFlow(SyncStatus(true, false, 0, 0, "", null))
    val status: StateFlow<SyncStatus> = _status.asStateFlow()

    /** The platform's connectivity callback. */
    suspend fun onConnectivity(online: Boolean): SyncStatus {
        try {
            core.setOnline(online)
        } catch (e: HoumonException) {
            return publish(error = e.staffText)
        }
        _status.value = _status.value.copy(online = online)
        return if (online) syncNow() else publish()
    }

    /** A record was stored: try to send it now if the network is there. */
    suspend fun onStored(): SyncStatus = if (_status.value.online) syncNow() else publish()

    suspend fun syncNow(): SyncStatus = lock.withLock {
        if (!_status.value.online) return@withLock publish()
        _status.value = _status.value.copy(running = true)
        try {
            val summary = core.syncNow()
            publish(summary = summary, error = summary.resultsError ?: summary.deferred)
        } catch (e: HoumonException) {
            publish(error = e.staffText)
        }
    }

    private suspend fun publish(summary: SyncSummary? = _status.value.last, error: String? = null): SyncStatus {
        val pending = runCatching { core.queue(QueueState.PENDING).size }.getOrDefault(_status.value.pending)
        val wedged = runCatching { core.queue(QueueState.WEDGED).size }.getOrDefault(_status.value.wedged)
        val online = _status.value.online
        val line = buildString {
            when {
                !online && pending > 0 -> append("${Labels.OFFLINE}: 未送信 ${pending}件(電波が戻ったら送信します)")
                !online -> append("${Labels.OFFLINE}: 送信待ちはありません")
                pending > 0 -> append("未送信 ${pending}件")
                else -> append("送信待ちはありません")
            }
            if (wedged > 0) append(" / 要確認 ${wedged}件")
            if (error != null) append(" / ").append(error)
        }
        val next = summary?.nextRetryAt?.takeIf { pending > 0 && it.isAfter(now()) }
        val status = SyncStatus(online, false, pending, wedged, line, next, summary)
        _status.value = status
        return status
    }
}
