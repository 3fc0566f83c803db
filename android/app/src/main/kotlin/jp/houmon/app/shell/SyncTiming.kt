// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.shell

import java.time.Duration
import java.time.Instant

/** When the OS job is asked to start, from the core's `ScheduleSync { at }`. */
object SyncTiming {
    /** Never sooner than this: a job at zero delay runs in a loop (the core's own floor is the same). */
    const val MIN_DELAY_MS = 30_000L

    /** The job's minimum latency for a sync wanted at `at`. */
    fun latencyMillis(at: Instant, now: Instant = Instant.now()): Long =
        Duration.between(now, at).toMillis().coerceAtLeast(MIN_DELAY_MS)
}
