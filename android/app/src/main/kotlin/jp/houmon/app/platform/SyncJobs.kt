// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.app.job.JobInfo
import android.app.job.JobParameters
import android.app.job.JobScheduler
import android.app.job.JobService
import android.content.ComponentName
import android.content.Context
import java.time.Duration
import java.time.Instant
import kotlinx.coroutines.launch
import jp.houmon.app.logic.SyncStatus

/**
 * The platform's job scheduler wakes the app to send what is pending: when
 * the network is there and not before the core's next retry time. (WorkManager
 * would do the same; the platform scheduler needs no extra library.)
 */
object SyncJobs {
    private const val JOB_ID = 0x486f6d  // "Hom"

    fun schedule(context: Context, status: SyncStatus) {
        val scheduler = context.getSystemService(JobScheduler::class.java)
        if (status.pending == 0) {
            scheduler.cancel(JOB_ID)
            return
        }
        val wait = status.nextTryAt?.let { Duration.between(Instant.now(), it).toMillis().coerceAtLeast(0) } ?: 0
        val job = JobInfo.Builder(JOB_ID, ComponentName(context, SyncJobService::class.java))
            .setRequiredNetworkType(JobInfo.NETWORK_TYPE_ANY)
            .setMinimumLatency(wait)
            .setBackoffCriteria(30_000, JobInfo.BACKOFF_POLICY_EXPONENTIAL)
            .build()
        scheduler.schedule(job)
    }
}

class SyncJobService : JobService() {
    override fun onStartJob(params: JobParameters): Boolean {
        val application = application as HoumonApplication
        application.scope.launch {
            val status = application.app.await().sync.syncNow()
            SyncJobs.schedule(this@SyncJobService, status)
            jobFinished(params, status.pending > 0 && status.nextTryAt == null)
        }
        return true
    }

    /** Stopped (network gone): ask to run again. */
    override fun onStopJob(params: JobParameters): Boolean = true
}
