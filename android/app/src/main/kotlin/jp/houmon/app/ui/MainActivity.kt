// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.ui

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.produceState
import androidx.compose.runtime.rememberCoroutineScope
import androidx.lifecycle.lifecycleScope
import kotlinx.coroutines.launch
import jp.houmon.app.logic.AppController
import jp.houmon.app.logic.AppScreen
import jp.houmon.app.platform.CardReader
import jp.houmon.app.platform.HoumonApplication

/**
 * The one activity. It hosts the Compose screens, turns NFC reader mode on
 * only while a visit waits for the card, and hands each card to the visit.
 * Logic lives in `logic/` (tested on the JVM); this file only wires.
 */
class MainActivity : ComponentActivity() {
    private lateinit var reader: CardReader
    private var controller: AppController? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val prefs = getSharedPreferences("houmon", MODE_PRIVATE)
        reader = CardReader(this, cautious = { prefs.getBoolean(Settings.CAUTIOUS_NFC, false) }) { transport, tag ->
            lifecycleScope.launch {
                try {
                    controller?.visit?.onCard(transport)
                } finally {
                    tag.close()
                    updateReader()
                }
            }
        }
        val application = application as HoumonApplication
        setContent {
            HoumonTheme {
                val app by produceState<AppController?>(null) { value = application.app.await() }
                app?.let { a ->
                    controller = a
                    Root(a, reader, onReaderChange = ::updateReader)
                } ?: Starting()
            }
        }
    }

    override fun onResume() {
        super.onResume()
        updateReader()
    }

    override fun onPause() {
        reader.disable()
        super.onPause()
    }

    /** Reader mode on exactly while the visit screen asks for the card. */
    fun updateReader() {
        if (controller?.visit?.wantsCard == true) reader.enable() else reader.disable()
    }
}

@Composable
private fun Root(app: AppController, reader: CardReader, onReaderChange: () -> Unit) {
    val screen by app.screen.collectAsState()
    val scope = rememberCoroutineScope()
    LaunchedEffect(screen) {
        if (screen == AppScreen.Round) app.round.load()
        onReaderChange()
    }
    when (val s = screen) {
        AppScreen.Enrol -> EnrolScreen(app)
        AppScreen.Round -> RoundScreen(app, onOpen = { id -> scope.launch { app.openVisit(id) } })
        is AppScreen.Visit -> VisitScreenHost(app, reader, onReaderChange)
        is AppScreen.Reception -> ReceptionScreen(app, s.patientId)
        AppScreen.Queue -> QueueScreen(app)
        AppScreen.Settings -> Settings(app)
    }
}
