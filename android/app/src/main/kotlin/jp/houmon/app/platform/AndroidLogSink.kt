// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.util.Log
import jp.houmon.core.LogLevel
import jp.houmon.core.LogSink

/** The core's logs (never a PIN or personal data: the core sees to it) to logcat. */
class AndroidLogSink : LogSink {
    override fun log(level: LogLevel, target: String, message: String) {
        val tag = "houmon/" + target.substringAfterLast("::").take(16)
        when (level) {
            LogLevel.ERROR -> Log.e(tag, message)
            LogLevel.WARN -> Log.w(tag, message)
            LogLevel.INFO -> Log.i(tag, message)
            LogLevel.DEBUG -> Log.d(tag, message)
        }
    }
}
