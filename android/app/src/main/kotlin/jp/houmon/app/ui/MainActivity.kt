// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.ui

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.OnBackPressedCallback
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.lifecycle.lifecycleScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import jp.houmon.app.platform.CardReader
import jp.houmon.app.platform.HoumonApplication
import jp.houmon.app.platform.ScreenGuard
import jp.houmon.app.shell.HoumonShell
import jp.houmon.core.AppEvent

/**
 * The one activity: draws the core's view (Compose, [Root]) and does what
 * the view asks of the window — `FLAG_SECURE` while patient data is shown,
 * NFC reader mode while a visit is open and the activity is resumed,
 * system back to the core when the core takes it (predictive back on
 * Android 13+) — and edge-to-edge drawing. No app state lives here: a
 * recreated activity (theme, font, fold) draws the same view again, and a
 * card read started before goes on in the core.
 */
class MainActivity : ComponentActivity() {
    private var reader: CardReader? = null
    private val shellState = mutableStateOf<HoumonShell?>(null)

    private val back = object : OnBackPressedCallback(false) {
        override fun handleOnBackPressed() {
            shellState.value?.send(AppEvent.Back)
        }
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        enableEdgeToEdge()
        super.onCreate(savedInstanceState)
        // Secure until the core's first view says otherwise.
        ScreenGuard.apply(this, true)
        onBackPressedDispatcher.addCallback(this, back)
        val app = application as HoumonApplication
        setContent {
            HoumonTheme {
                val shell = shellState.value
                if (shell == null) {
                    Opening()
                } else {
                    val view by shell.view.collectAsState()
                    val said by app.announcements.collectAsState()
                    Root(view, shell.loadFailure, said?.text?.takeIf { it != view.notice?.text }, shell::send)
                }
            }
        }
        lifecycleScope.launch {
            // Opening the core loads its library: not on the main thread.
            val shell = withContext(Dispatchers.Default) { app.shell() }
            val cards = CardReader(this@MainActivity, shell::cardTapped)
            reader = cards
            app.reader = cards
            if (lifecycle.currentState.isAtLeast(androidx.lifecycle.Lifecycle.State.RESUMED)) cards.onResume()
            shellState.value = shell
            shell.view.collect { v ->
                ScreenGuard.apply(this@MainActivity, v.protectScreen)
                cards.want(v.readerMode)
                back.isEnabled = v.canGoBack
            }
        }
    }

    override fun onResume() {
        super.onResume()
        reader?.onResume()
        (application as HoumonApplication).reader = reader
    }

    override fun onPause() {
        reader?.onPause()
        super.onPause()
    }

    override fun onDestroy() {
        val app = application as HoumonApplication
        if (app.reader === reader) app.reader = null
        super.onDestroy()
    }
}
