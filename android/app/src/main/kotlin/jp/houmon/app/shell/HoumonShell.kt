// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.shell

import java.time.Instant
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import jp.houmon.core.AppConfig
import jp.houmon.core.AppCore
import jp.houmon.core.AppEvent
import jp.houmon.core.AppShell
import jp.houmon.core.AppView
import jp.houmon.core.CardTransport
import jp.houmon.core.Effect
import jp.houmon.core.FeedbackKind
import jp.houmon.core.Header
import jp.houmon.core.KeyProvider
import jp.houmon.core.NfcLine
import jp.houmon.core.NfcState
import jp.houmon.core.Screen
import jp.houmon.core.TapAnswer

/**
 * What the core's effects ask of the phone (`platform/` does each on
 * Android; the JVM tests record them). Called from the core's threads, in
 * order: each must be safe off the main thread.
 */
interface Platform {
    /** Wake the app at `at` for a sync (a persisted job; never sooner than [SyncTiming.MIN_DELAY_MS]). */
    fun scheduleSync(at: Instant)
    fun cancelScheduledSync()
    /** The read ended (or a card came when none is wanted): vibrate and sound. */
    fun feedback(kind: FeedbackKind)
    /** Say this through TalkBack now. */
    fun announce(text: String)
    fun openNfcSettings()
}

/**
 * The Android shell's one adapter to the app core: it holds the process's
 * [AppCore], publishes every view the core renders as a [StateFlow] (the
 * newest revision wins, whichever thread delivers it), hands the core's
 * effects to the [Platform], and passes events and cards through. It keeps
 * no app state: what the screen shows, what is allowed, when to sync are
 * the core's.
 *
 * If the core cannot be loaded at all (the native library refused by the
 * phone), [loadFailure] says so and [view] stays at the opening frame;
 * everything else then does nothing.
 */
class HoumonShell private constructor(private val receiver: Receiver, val core: AppCore?, val loadFailure: String?) {
    /** The current screen, whole (collect it on the main thread). */
    val view: StateFlow<AppView> = receiver.flow

    fun send(event: AppEvent) {
        core?.send(event)
    }

    /** A card at the phone; the read runs on the core's runtime, whatever happens to the caller. */
    fun cardTapped(transport: CardTransport): TapAnswer =
        core?.cardTapped(transport) ?: TapAnswer.NotNow(loadFailure ?: "")

    /** Until the core's work is done and [view] has its newest frame (the sync job and the tests wait for it). */
    suspend fun settle() {
        core?.settle()
    }

    /** Receives the core's views and effects (from the core's delivery thread). */
    private class Receiver(private val platform: Platform) : AppShell {
        val flow = MutableStateFlow(OPENING)

        override fun render(view: AppView) {
            // A view older than the one drawn is dropped.
            flow.update { shown -> if (view.revision >= shown.revision) view else shown }
        }

        override fun run(effect: Effect) {
            when (effect) {
                is Effect.ScheduleSync -> platform.scheduleSync(effect.at)
                Effect.CancelScheduledSync -> platform.cancelScheduledSync()
                is Effect.Feedback -> platform.feedback(effect.kind)
                is Effect.Announce -> platform.announce(effect.text)
                Effect.OpenNfcSettings -> platform.openNfcSettings()
            }
        }
    }

    companion object {
        /** The frame before the core's first (no patient data: nothing to protect yet, but protected anyway). */
        val OPENING = AppView(
            revision = 0u,
            screen = Screen.Opening,
            header = Header("起動しています", null, false, "", 0u, 0u, null),
            notice = null,
            confirmation = null,
            canGoBack = false,
            readerMode = false,
            protectScreen = true,
            nfc = NfcLine(NfcState.ON, null, false),
        )

        const val LOAD_FAILED =
            "アプリの部品を読み込めませんでした。アプリを最新版に更新してください。続く場合はクリニックの管理者に連絡してください(この端末では記録を作れません)。"

        /** Opens the app (once per process). Never throws: a core that cannot load is reported in [loadFailure]. */
        fun open(config: AppConfig, keys: KeyProvider, platform: Platform): HoumonShell {
            val receiver = Receiver(platform)
            return try {
                val core = AppCore(config, keys, receiver)
                receiver.render(core.view())
                HoumonShell(receiver, core, null)
            } catch (e: Throwable) {
                // UnsatisfiedLinkError (a library this phone cannot load),
                // ExceptionInInitializerError from JNA: not the core's to say.
                if (e is InterruptedException) Thread.currentThread().interrupt()
                HoumonShell(receiver, null, LOAD_FAILED)
            }
        }
    }
}
