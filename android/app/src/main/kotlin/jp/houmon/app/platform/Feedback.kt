// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.content.Context
import android.media.AudioManager
import android.media.ToneGenerator
import android.os.VibrationEffect
import android.os.Vibrator
import android.os.VibratorManager
import jp.houmon.core.FeedbackKind

/**
 * What a nurse feels and hears when the read ends (reader mode silences
 * the platform's own sound): one short buzz and a high beep when the card
 * was read; two short buzzes and a low double tone when it left the phone
 * too early; one long buzz and an error tone when the read stopped; a
 * light tick when a card was tapped before it is wanted.
 */
class Feedback(context: Context) {
    private val vibrator: Vibrator = context.getSystemService(VibratorManager::class.java).defaultVibrator
    private val tones: ToneGenerator? = runCatching { ToneGenerator(AudioManager.STREAM_NOTIFICATION, 80) }.getOrNull()

    fun play(kind: FeedbackKind) {
        vibrator.vibrate(VibrationEffect.createWaveform(pattern(kind), -1))
        tones?.startTone(tone(kind), 200)
    }

    companion object {
        /** Off/on milliseconds (`VibrationEffect.createWaveform`). */
        fun pattern(kind: FeedbackKind): LongArray = when (kind) {
            FeedbackKind.READ_SUCCEEDED -> longArrayOf(0, 80)
            FeedbackKind.CARD_LOST -> longArrayOf(0, 80, 120, 80)
            FeedbackKind.READ_FAILED -> longArrayOf(0, 500)
            FeedbackKind.NOT_NOW -> longArrayOf(0, 30)
        }

        fun tone(kind: FeedbackKind): Int = when (kind) {
            FeedbackKind.READ_SUCCEEDED -> ToneGenerator.TONE_PROP_ACK
            FeedbackKind.CARD_LOST -> ToneGenerator.TONE_PROP_NACK
            FeedbackKind.READ_FAILED -> ToneGenerator.TONE_SUP_ERROR
            FeedbackKind.NOT_NOW -> ToneGenerator.TONE_PROP_BEEP
        }

        /** The read is over (the tag can be let go). */
        fun endsRead(kind: FeedbackKind): Boolean = kind != FeedbackKind.NOT_NOW
    }
}
