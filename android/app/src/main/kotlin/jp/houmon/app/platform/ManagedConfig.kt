// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import android.content.IntentFilter
import android.os.Build
import android.content.RestrictionsManager
import android.os.Bundle
import jp.houmon.app.shell.ManagedPolicy
import jp.houmon.core.ClinicPolicy

/**
 * The clinic's managed configuration (`res/xml/app_restrictions.xml`,
 * set by its MDM) as the core's [ClinicPolicy]: read when the core opens,
 * and again whenever the MDM changes it while the app runs ([watch]: the
 * core's `PolicyChanged`).
 */
object ManagedConfig {
    /**
     * Calls `onChange` with the new policy each time the MDM changes the
     * app's restrictions (a broadcast only a running app receives, so it
     * is registered here rather than in the manifest).
     */
    fun watch(context: Context, onChange: (ClinicPolicy) -> Unit): BroadcastReceiver {
        val receiver = object : BroadcastReceiver() {
            override fun onReceive(c: Context, intent: Intent) = onChange(policy(c))
        }
        val filter = IntentFilter(Intent.ACTION_APPLICATION_RESTRICTIONS_CHANGED)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
            context.registerReceiver(receiver, filter, Context.RECEIVER_NOT_EXPORTED)
        } else {
            context.registerReceiver(receiver, filter)
        }
        return receiver
    }

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
