// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.content.Context
import android.content.RestrictionsManager
import android.os.Bundle
import jp.houmon.app.shell.ManagedPolicy
import jp.houmon.core.ClinicPolicy

/**
 * The clinic's managed configuration (`res/xml/app_restrictions.xml`,
 * set by its MDM) as the core's [ClinicPolicy]. Read when the core opens:
 * a change takes effect the next time the app starts (the core has no
 * event for a new policy yet).
 */
object ManagedConfig {
    fun policy(context: Context): ClinicPolicy {
        val bundle = runCatching {
            context.getSystemService(RestrictionsManager::class.java)?.applicationRestrictions
        }.getOrNull() ?: Bundle()
        return policy(bundle)
    }

    fun policy(b: Bundle): ClinicPolicy = ManagedPolicy.from { key ->
        when {
            !b.containsKey(key) -> null
            key == ManagedPolicy.SIGN_IN -> b.getString(key)
            key == ManagedPolicy.IDLE_SIGN_OUT_MINUTES || key == ManagedPolicy.SHIFT_HOURS -> b.getInt(key, -1)
            else -> b.getBoolean(key)
        }
    }
}
