// SPDX-License-Identifier: MPL-2.0
import HoumonCore

/// The app's own Japanese words; the same as the Android app's (`docs/screens.md`).
public enum Labels {
    public static func mode(_ mode: IdentityMode) -> String {
        switch mode {
        case .pin: return "暗証番号(4桁)で確認"
        case .visual: return "目視で確認(照合番号B)"
        }
    }

    public static func visualReason(_ reason: VisualReason) -> String {
        switch reason {
        case .faceFailedAndPinUnavailable: return "顔認証ができず、暗証番号も使えない"
        case .dementiaOrDisability: return "認知症・障害などで暗証番号の入力が難しい"
        case .condition: return "病状により暗証番号の入力が難しい"
        case .deviceTrouble: return "機器の不具合"
        case .other: return "その他(メモに記入)"
        }
    }

    public static func category(_ c: ConsentCategory) -> String {
        switch c {
        case .tkk: return "特定健診等の情報"
        case .yzk: return "薬剤情報"
        case .srj: return "診療情報"
        case .shj: return "手術情報"
        case .tsr: return "透析情報"
        }
    }

    public static func prescription(_ p: Prescription) -> String {
        switch p {
        case .electronic: return "電子処方箋"
        case .paper: return "紙の処方箋"
        }
    }

    public static let allVisualReasons: [VisualReason] = [
        .faceFailedAndPinUnavailable, .dementiaOrDisability, .condition, .deviceTrouble, .other,
    ]
    public static let allCategories: [ConsentCategory] = [.tkk, .yzk, .srj, .shj, .tsr]

    public static let holdCard = "iPhoneの上部をカードに当て、動かさずにお待ちください"
    public static let cardAgain = "もう一度カードを読み取ってください(暗証番号の再入力は不要です)"
    public static let notMyNumberCard = "マイナンバーカードではないようです。マイナンバーカードを当ててください"
    public static let oneCardOnly = "カードを1枚だけ当ててください"
    public static let photoNote =
        "ICチップの顔写真は白黒で、撮影時の写真です。髪型や眼鏡ではなく、目・鼻・口の配置や輪郭で比べてください。"
    public static let home = "居宅"
    public static let offline = "オフライン"
    public static let stored = "端末に保存しました(電波が戻ったら送信します)"
    public static let sent = "クリニックに送信しました"
    public static let wedged = "クリニックが受け付けませんでした。未送信一覧で理由を確認してください"
    public static let readDone = "読み取りました"
}
