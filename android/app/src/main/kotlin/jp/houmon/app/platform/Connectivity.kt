// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities

/**
 * Tells the core when the phone has a network it may try and when it
 * loses it. A network with `INTERNET` counts even without `VALIDATED`: a
 * clinic Wi-Fi whose server is on the clinic's own LAN never validates
 * against the internet, and the core tries, then backs off, by itself. A
 * captive portal (a care facility's guest Wi-Fi before its login page)
 * does not count.
 */
class Connectivity(context: Context, private val onChange: (Boolean) -> Unit) {
    private val manager = context.getSystemService(ConnectivityManager::class.java)
    private var last: Boolean? = null

    private val callback = object : ConnectivityManager.NetworkCallback() {
        override fun onCapabilitiesChanged(network: Network, caps: NetworkCapabilities) = report(usable(caps))

        override fun onLost(network: Network) = report(false)
    }

    fun start() {
        val active = manager.activeNetwork?.let { manager.getNetworkCapabilities(it) }
        report(active != null && usable(active))
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

    companion object {
        fun usable(caps: NetworkCapabilities): Boolean =
            caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET) &&
                !caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_CAPTIVE_PORTAL)
    }
}
