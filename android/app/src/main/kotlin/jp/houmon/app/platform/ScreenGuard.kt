// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.app.Activity
import android.os.Build
import android.view.WindowManager

/**
 * No screenshots, screen recording, casting or Recents thumbnail while
 * the core's view shows patient data or the chip's photo
 * (`AppView.protectScreen`): `FLAG_SECURE` on the window and, on Android
 * 13+, no Recents screenshot.
 */
object ScreenGuard {
    fun apply(activity: Activity, protect: Boolean) {
        if (protect) {
            activity.window.addFlags(WindowManager.LayoutParams.FLAG_SECURE)
        } else {
            activity.window.clearFlags(WindowManager.LayoutParams.FLAG_SECURE)
        }
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) activity.setRecentsScreenshotEnabled(!protect)
    }

    fun isSecure(activity: Activity): Boolean =
        activity.window.attributes.flags and WindowManager.LayoutParams.FLAG_SECURE != 0
}
