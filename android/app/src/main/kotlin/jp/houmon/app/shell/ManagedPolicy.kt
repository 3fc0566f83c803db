// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.shell

import jp.houmon.core.ClinicPolicy
import jp.houmon.core.SignInPolicy
import jp.houmon.core.defaultClinicPolicy

/**
 * The clinic's device-management settings (Android managed configuration,
 * `res/xml/app_restrictions.xml`) as the core's [ClinicPolicy]. A key the
 * MDM did not set, or set to something unusable, keeps the core's default.
 * `platform/ManagedConfig.kt` reads the `Bundle` from `RestrictionsManager`;
 * this maps it (plain Kotlin, tested on the JVM).
 */
object ManagedPolicy {
    const val SIGN_IN = "sign_in"
    const val ALLOW_PIN = "allow_pin"
    const val ALLOW_VISUAL = "allow_visual"
    const val CAREFUL_READING = "careful_reading"
    const val KEEP_PHOTO = "keep_photo"
    const val IDLE_SIGN_OUT_MINUTES = "idle_sign_out_minutes"
    const val SHIFT_HOURS = "shift_hours"

    /** Every key `app_restrictions.xml` declares (scripts/android-check.py compares them). */
    val KEYS = listOf(SIGN_IN, ALLOW_PIN, ALLOW_VISUAL, CAREFUL_READING, KEEP_PHOTO, IDLE_SIGN_OUT_MINUTES, SHIFT_HOURS)

    /** `value(key)`: the restriction's value (`Bundle.get`), or null when unset. */
    fun from(value: (String) -> Any?): ClinicPolicy {
        val d = defaultClinicPolicy()
        fun bool(key: String, default: Boolean) = value(key) as? Boolean ?: default
        fun int(key: String, default: UInt, range: IntRange): UInt =
            (value(key) as? Int)?.takeIf { it in range }?.toUInt() ?: default
        val signIn = when (value(SIGN_IN) as? String) {
            "when_shared" -> SignInPolicy.WHEN_SHARED
            "always" -> SignInPolicy.ALWAYS
            "never" -> SignInPolicy.NEVER
            else -> d.signIn
        }
        var pin = bool(ALLOW_PIN, d.allowPin)
        var visual = bool(ALLOW_VISUAL, d.allowVisual)
        // A profile that forbids both modes would stop every visit at the
        // door: that cannot be meant, so the defaults stay.
        if (!pin && !visual) {
            pin = d.allowPin
            visual = d.allowVisual
        }
        return ClinicPolicy(
            signIn = signIn,
            allowPin = pin,
            allowVisual = visual,
            carefulReading = bool(CAREFUL_READING, d.carefulReading),
            keepPhoto = bool(KEEP_PHOTO, d.keepPhoto),
            idleSignOutMinutes = int(IDLE_SIGN_OUT_MINUTES, d.idleSignOutMinutes, 0..24 * 60),
            shiftHours = int(SHIFT_HOURS, d.shiftHours, 1..24),
        )
    }
}
