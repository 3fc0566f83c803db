// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.logic

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import jp.houmon.core.Enrolment
import jp.houmon.core.HoumonCore
import jp.houmon.core.HoumonException

data class EnrolScreen(val busy: Boolean, val enrolment: Enrolment?, val error: String? = null)

/**
 * Enrolment: the clinic's one-time QR code (scanned, or its text pasted).
 * The QR carries the server's address and the fingerprint the phone pins,
 * so a bare code is not accepted: without the fingerprint the phone could
 * not know it talks to the clinic.
 */
class EnrolmentController(private val core: HoumonCore) {
    private val _screen = MutableStateFlow(EnrolScreen(false, core.enrolment()))
    val screen: StateFlow<EnrolScreen> = _screen.asStateFlow()

    suspend fun enrol(qrText: String, deviceName: String): Boolean {
        val text = qrText.trim()
        if (!text.startsWith(PREFIX)) {
            _screen.value = EnrolScreen(false, null, NOT_OURS)
            return false
        }
        _screen.value = EnrolScreen(true, null)
        return try {
            val e = core.enrol(text, deviceName.trim().ifEmpty { "Android" })
            _screen.value = EnrolScreen(false, e)
            true
        } catch (e: HoumonException) {
            _screen.value = EnrolScreen(false, null, e.staffText)
            false
        }
    }

    companion object {
        const val PREFIX = "houmon://enrol?"
        const val NOT_OURS = "クリニックの登録用QRコードではありません。管理画面で発行されたQRコードを読み取ってください。"
    }
}
