// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.app.Activity
import android.app.Application
import android.content.Intent
import android.os.Build
import android.os.Bundle
import java.io.File
import java.time.Instant
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import jp.houmon.app.shell.HoumonShell
import jp.houmon.app.shell.Platform
import jp.houmon.core.AppConfig
import jp.houmon.core.AppEvent
import jp.houmon.core.FeedbackKind
import jp.houmon.core.PlatformInfo
import jp.houmon.core.setLogSink

/**
 * The process: one app core ([HoumonShell]) opened on first use — by the
 * activity or by the sync job, whichever comes first — with its store in
 * the app's private, non-backed-up files, the key from the Keystore, the
 * clinic's managed configuration as its policy, and the phone's model and
 * antenna. Reports the platform to the core: the network, NFC on or off,
 * the app in front or not, a new policy from the MDM. Runs the core's effects ([Platform]).
 *
 * Opening never crashes: a store that does not open is the core's
 * recovery screen, a library that does not load is [HoumonShell.loadFailure].
 */
class HoumonApplication : Application(), Platform {
    @Volatile private var opened: HoumonShell? = null
    private var connectivity: Connectivity? = null
    private var nfc: NfcWatch? = null
    private val feedback by lazy { Feedback(this) }
    private val announcement = MutableStateFlow<Announcement?>(null)

    /** The newest thing the core asked TalkBack to say (drawn in a live region). */
    val announcements: StateFlow<Announcement?> = announcement.asStateFlow()

    /** The activity's card reader (the read-finished feedback lets its tag go). */
    @Volatile var reader: CardReader? = null

    /** The resumed activity (for the NFC settings), if any. */
    @Volatile var resumed: Activity? = null
        private set

    override fun onCreate() {
        super.onCreate()
        runCatching { setLogSink(AndroidLogSink()) }
        registerActivityLifecycleCallbacks(Lifecycle())
    }

    /** The app core, opened once per process (thread-safe; blocks only to create it). */
    fun shell(): HoumonShell = opened ?: synchronized(this) {
        opened ?: open().also { opened = it }
    }

    private fun open(): HoumonShell {
        val config = AppConfig(
            dbPath = File(noBackupFilesDir, "houmon.sqlite").path,
            platform = PlatformInfo(
                phoneModel = listOf(Build.MANUFACTURER, Build.MODEL).filter { !it.isNullOrBlank() }.joinToString(" "),
                os = "Android ${Build.VERSION.RELEASE} (API ${Build.VERSION.SDK_INT})",
                antennaHint = Antenna.hint(this),
                // The model, never the owner's device name (it is often a person's).
                deviceName = Build.MODEL ?: "Android",
            ),
            policy = ManagedConfig.policy(this),
        )
        val shell = HoumonShell.open(config, KeystoreKeys(this), this)
        if (shell.core != null) {
            nfc = NfcWatch(this) { shell.send(AppEvent.NfcChanged(it)) }.also { it.start() }
            connectivity = Connectivity(this) { online -> shell.send(AppEvent.NetworkChanged(online)) }.also { it.start() }
            ManagedConfig.watch(this) { policy -> shell.send(AppEvent.PolicyChanged(policy)) }
        }
        return shell
    }

    override fun scheduleSync(at: Instant) = SyncJobs.schedule(this, at)

    override fun cancelScheduledSync() = SyncJobs.cancel(this)

    override fun feedback(kind: FeedbackKind) {
        if (Feedback.endsRead(kind)) reader?.readEnded()
        runCatching { feedback.play(kind) }
    }

    override fun announce(text: String) {
        announcement.value = Announcement((announcement.value?.serial ?: 0) + 1, text)
    }

    override fun openNfcSettings() {
        val activity = resumed
        val intent = NfcWatch.settingsIntent()
        if (activity != null) {
            activity.runOnUiThread { runCatching { activity.startActivity(intent) } }
        } else {
            runCatching { startActivity(intent.addFlags(Intent.FLAG_ACTIVITY_NEW_TASK)) }
        }
    }

    /** In front or not (the core's Foregrounded / Backgrounded), and the resumed activity. */
    private inner class Lifecycle : ActivityLifecycleCallbacks {
        private var started = 0

        override fun onActivityStarted(activity: Activity) {
            // Not opened here (the main thread): the activity opens it off it,
            // and a core opens in the foreground.
            if (started++ == 0) opened?.send(AppEvent.Foregrounded)
        }

        override fun onActivityStopped(activity: Activity) {
            if (--started == 0) opened?.send(AppEvent.Backgrounded)
        }

        override fun onActivityResumed(activity: Activity) {
            resumed = activity
            // NFC may have been switched on in the settings meanwhile.
            nfc?.report()
        }

        override fun onActivityPaused(activity: Activity) {
            if (resumed === activity) resumed = null
        }

        override fun onActivityCreated(activity: Activity, savedInstanceState: Bundle?) {}
        override fun onActivitySaveInstanceState(activity: Activity, outState: Bundle) {}
        override fun onActivityDestroyed(activity: Activity) {}
    }
}

/** One thing for TalkBack to say; `serial` tells a repeat of the same words apart. */
data class Announcement(val serial: Long, val text: String)
