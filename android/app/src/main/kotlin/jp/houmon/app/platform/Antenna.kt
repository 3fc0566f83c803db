// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.content.Context
import android.nfc.NfcAdapter
import android.os.Build

/**
 * Where to hold the card, in words, from the phone's own antenna
 * description (Android 14+: `NfcAdapter.getNfcAntennaInfo()`); older
 * phones get the common case.
 */
object Antenna {
    fun hint(context: Context): String {
        val adapter = NfcAdapter.getDefaultAdapter(context) ?: return "このスマートフォンはNFCに対応していません"
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.UPSIDE_DOWN_CAKE) return DEFAULT
        val info = adapter.nfcAntennaInfo ?: return DEFAULT
        val antenna = info.availableNfcAntennas.firstOrNull() ?: return DEFAULT
        val w = info.deviceWidth.takeIf { it > 0 } ?: return DEFAULT
        val h = info.deviceHeight.takeIf { it > 0 } ?: return DEFAULT
        val vertical = when {
            antenna.locationY < h / 3 -> "上部"
            antenna.locationY > h * 2 / 3 -> "下部"
            else -> "中央"
        }
        val horizontal = when {
            antenna.locationX < w / 3 -> "左寄り"
            antenna.locationX > w * 2 / 3 -> "右寄り"
            else -> ""
        }
        val side = if (info.isDeviceFoldable) "(折りたたみ端末: 開いた状態で)" else ""
        return "スマートフォンの背面の${vertical}${horizontal}$side"
    }

    private const val DEFAULT = "スマートフォンの背面の中央付近"
}
