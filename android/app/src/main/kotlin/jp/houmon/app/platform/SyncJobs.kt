// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.app.job.JobInfo
import android.app.job.JobParameters
import android.app.job.JobScheduler
import android.app.job.JobService
import android.content.ComponentName
import android.content.Context
import java.time.Instant
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch
import jp.houmon.app.shell.SyncTiming
import jp.houmon.core.AppEvent

/**
 * The core decides when to sync (`Effect.ScheduleSync { at }`, or
 * `CancelScheduledSync` when nothing is to be sent or the phone was
 * revoked); this asks the platform's job scheduler to wake the app then,
 * with a network: persisted across a reboot (`RECEIVE_BOOT_COMPLETED`),
 * never sooner than [SyncTiming.MIN_DELAY_MS].
 *
 * Never from inside the running job: scheduling or cancelling the job's
 * own id stops the job that runs. A request that comes while the job runs
 * (the core's next time, decided by the sync the job started) waits and is
 * made when the job has finished.
 */
object SyncJobs {
    const val JOB_ID = 0x486f6d // "Hom"

    private sealed class Request {
        data class At(val at: Instant) : Request()
        data object Cancel : Request()
    }

    private var running = false
    private var deferred: Request? = null

    fun schedule(context: Context, at: Instant) = request(context, Request.At(at))

    fun cancel(context: Context) = request(context, Request.Cancel)

    @Synchronized
    private fun request(context: Context, r: Request) {
        if (running) {
            deferred = r
            return
        }
        apply(context, r)
    }

    @Synchronized
    internal fun started() {
        running = true
    }

    /** The job finished: the request it deferred is made now. */
    @Synchronized
    internal fun finished(context: Context) {
        running = false
        deferred?.let { apply(context, it) }
        deferred = null
    }

    private fun apply(context: Context, r: Request) {
        val scheduler = context.getSystemService(JobScheduler::class.java)
        when (r) {
            Request.Cancel -> scheduler.cancel(JOB_ID)
            is Request.At -> {
                val job = JobInfo.Builder(JOB_ID, ComponentName(context, SyncJobService::class.java))
                    .setRequiredNetworkType(JobInfo.NETWORK_TYPE_ANY)
                    .setMinimumLatency(SyncTiming.latencyMillis(r.at))
                    .setPersisted(true)
                    .build()
                scheduler.schedule(job)
            }
        }
    }
}

/**
 * The OS woke the app for the sync the core asked for: opens the core if
 * the process was not running (a store that does not open is its recovery
 * screen; nothing crashes), tells it `SyncDue`, waits until it is done,
 * and finishes without asking to be run again — the core's next time
 * comes as a new request, made after this job ([SyncJobs]).
 */
class SyncJobService : JobService() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    override fun onStartJob(params: JobParameters): Boolean {
        SyncJobs.started()
        scope.launch {
            try {
                val shell = (application as HoumonApplication).shell()
                shell.send(AppEvent.SyncDue)
                shell.settle()
            } catch (e: Exception) {
                // Nothing more this job can do; the core keeps the records.
            } finally {
                jobFinished(params, false)
                SyncJobs.finished(this@SyncJobService)
            }
        }
        return true
    }

    /** Stopped by the OS (the network went): the core's schedule stands, nothing to redo here. */
    override fun onStopJob(params: JobParameters): Boolean {
        SyncJobs.finished(this)
        return false
    }
}
