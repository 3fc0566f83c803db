// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities

/**
 * Tells the app logic when the phone has a usable network and when it
 * loses it (the default network, validated: a captive portal at a care
 * facility is not "online").
 */
class Connectivity(context: Context, private val onChange: (Boolean) -> Unit) {
    private val manager = context.getSystemService(ConnectivityManager::class.java)
    private var last: Boolean? = null

    private val callback = object : ConnectivityManager.NetworkCallback() {
        override fun onCapabilitiesChanged(network: Network, caps: NetworkCapabilities) {
            report(
                caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET) &&
                    caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_VALIDATED),
            )
        }

        override fun onLost(network: Network) = report(false)
    }

    fun start() {
        val active = manager.activeNetwork?.let { manager.getNetworkCapabilities(it) }
        report(active?.hasCapability(NetworkCapabilities.NET_CAPABILITY_VALIDATED) == true)
        manager.registerDefaultNetworkCallback(callback)
    }

    fun stop() {
        manager.unregisterNetworkCallback(callback)
    }

    @Synchronized
    private fun report(online: Boolean) {
        if (last == online) return
        last = online
        onChange(online)
    }
}
