// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.app.Application
import java.io.File
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch
import jp.houmon.app.logic.AppController
import jp.houmon.core.HoumonCore
import jp.houmon.core.HoumonException
import jp.houmon.core.setLogSink

/**
 * Opens the core once per process (its encrypted store in the app's
 * private, non-backed-up files; the key from the Keystore), and wires the
 * platform's connectivity and job scheduler to the app logic's sync rules.
 */
class HoumonApplication : Application() {
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    val app = CompletableDeferred<AppController>()
    private var connectivity: Connectivity? = null

    override fun onCreate() {
        super.onCreate()
        setLogSink(AndroidLogSink())
        scope.launch {
            try {
                val db = File(noBackupFilesDir, "houmon.sqlite").path
                val core = HoumonCore.open(db, KeystoreKeys(this@HoumonApplication), false)
                val controller = AppController(core, scope, Antenna.hint(this@HoumonApplication))
                app.complete(controller)
                connectivity = Connectivity(this@HoumonApplication) { online ->
                    scope.launch {
                        val status = controller.sync.onConnectivity(online)
                        SyncJobs.schedule(this@HoumonApplication, status)
                    }
                }.also { it.start() }
            } catch (e: HoumonException) {
                app.completeExceptionally(e)
            }
        }
    }
}
