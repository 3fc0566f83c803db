// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.logic

import jp.houmon.core.ConsentCategory
import jp.houmon.core.EligibilityStatus
import jp.houmon.core.IdentityMode
import jp.houmon.core.Prescription
import jp.houmon.core.VisitKind
import jp.houmon.core.VisualReason

/**
 * The app's own Japanese words (what the core says, it says itself: step
 * messages, progress lines, errors). Kept here, not in the UI, so that the
 * JVM tests see exactly what staff see.
 */
object Labels {
    fun mode(mode: IdentityMode): String = when (mode) {
        IdentityMode.PIN -> "暗証番号(4桁)で確認"
        IdentityMode.VISUAL -> "目視で確認(照合番号B)"
    }

    fun kind(kind: VisitKind): String = when (kind) {
        VisitKind.HOME_CARE -> "訪問診療"
        VisitKind.HOUSE_CALL -> "往診"
        VisitKind.HOME_NURSING -> "訪問看護"
        VisitKind.CONSULTATION -> "対診"
        VisitKind.FACILITY -> "施設"
    }

    fun visualReason(reason: VisualReason): String = when (reason) {
        VisualReason.FACE_FAILED_AND_PIN_UNAVAILABLE -> "顔認証ができず、暗証番号も使えない"
        VisualReason.DEMENTIA_OR_DISABILITY -> "認知症・障害などで暗証番号の入力が難しい"
        VisualReason.CONDITION -> "病状により暗証番号の入力が難しい"
        VisualReason.DEVICE_TROUBLE -> "機器の不具合"
        VisualReason.OTHER -> "その他(メモに記入)"
    }

    fun category(c: ConsentCategory): String = when (c) {
        ConsentCategory.TKK -> "特定健診等の情報"
        ConsentCategory.YZK -> "薬剤情報"
        ConsentCategory.SRJ -> "診療情報"
        ConsentCategory.SHJ -> "手術情報"
        ConsentCategory.TSR -> "透析情報"
    }

    fun prescription(p: Prescription): String = when (p) {
        Prescription.ELECTRONIC -> "電子処方箋"
        Prescription.PAPER -> "紙の処方箋"
    }

    fun eligibility(status: EligibilityStatus): String = when (status) {
        EligibilityStatus.UNKNOWN -> "未確認"
        EligibilityStatus.VALID -> "有効"
        EligibilityStatus.INVALID -> "無効"
        EligibilityStatus.INVALID_NEW_QUALIFICATION -> "無効(新しい資格あり)"
        EligibilityStatus.NO_RECORD -> "該当資格なし"
        EligibilityStatus.MULTIPLE_MATCHES -> "複数該当"
        EligibilityStatus.VALID_UNREGISTERED -> "有効(未登録)"
        EligibilityStatus.CHECK_ERROR -> "照会エラー"
        EligibilityStatus.CHECKING -> "照会中"
    }

    const val HOLD_CARD = "カードをスマートフォンの背面に当て、動かさずにお待ちください"
    const val CARD_AGAIN = "もう一度カードを当ててください(暗証番号の再入力は不要です)"
    const val PHOTO_NOTE =
        "ICチップの顔写真は白黒で、撮影時の写真です。髪型や眼鏡ではなく、目・鼻・口の配置や輪郭で比べてください。"
    const val HOME = "居宅"
    const val OFFLINE = "オフライン"
    const val STORED = "端末に保存しました(電波が戻ったら送信します)"
    const val SENT = "クリニックに送信しました"
    const val WEDGED = "クリニックが受け付けませんでした。未送信一覧で理由を確認してください"
}
