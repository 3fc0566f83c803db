// SPDX-License-Identifier: MPL-2.0
import HoumonAppLogic
import HoumonCore
import HoumonNFC
import SwiftUI
import UIKit

/// Draws the visit's current screen; every button calls the model.
struct VisitView: View {
    @ObservedObject var app: AppModel
    @ObservedObject var visit: VisitModel
    private let reader = NFCCardSession()

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 16) {
                if let error = visit.error {
                    Text(error).foregroundStyle(.red).font(.body.weight(.semibold))
                }
                content
                if !isFinal {
                    Button("この訪問をやめる", role: .cancel) { app.show(.round) }
                        .frame(minHeight: touchTarget)
                }
            }
            .padding()
        }
        .navigationTitle("本人確認")
    }

    private var isFinal: Bool {
        switch visit.screen {
        case .done, .cancelled: return true
        default: return false
        }
    }

    @ViewBuilder private var content: some View {
        switch visit.screen {
        case .starting:
            ProgressView("準備しています…")
        case let .chooseMode(name, options):
            if let name { Text("\(name) さん").font(.title2) }
            ForEach(options) { o in
                Button(o.label) { visit.chooseMode(o.mode) }
                    .buttonStyle(.borderedProminent)
                    .frame(maxWidth: .infinity, minHeight: touchTarget)
                    .disabled(!o.enabled)
                if let why = o.whyNot { Text(why).font(.footnote) }
            }
        case let .enterPin(tries, warning):
            SecretPad(title: "利用者証明用の暗証番号(数字4桁)", length: 4, triesLeft: tries, warning: warning) { digits in
                visit.submitPin(&digits)
            }
        case let .enterCollation(tries, warning):
            SecretPad(title: "照合番号B(生年月日6桁・有効期限の西暦4桁・セキュリティコード4桁)", length: 14, triesLeft: tries, warning: warning) { digits in
                visit.submitCollation(&digits)
            }
        case let .confirmLastTry(message):
            Text(message).font(.headline)
            Button("患者さんの同意を得たので続ける") { visit.confirmLastTry() }
                .buttonStyle(.borderedProminent).frame(minHeight: touchTarget)
            Button("暗証番号を使わない") { visit.backToModeChoice() }.frame(minHeight: touchTarget)
        case let .holdCard(_, line, reading):
            Text(line).font(.title3).accessibilityLabel(line)
            Text("iPhoneの上部(カメラの近く)をカードの中央に当ててください")
            Button(reading ? "読み取り中…" : "カードを読み取る") {
                Task { await visit.readCard(with: reader) }
            }
            .buttonStyle(.borderedProminent)
            .frame(maxWidth: .infinity, minHeight: touchTarget)
            .disabled(reading || !NFCCardSession.available)
            if !NFCCardSession.available { Text("このiPhoneはNFCの読み取りに対応していません").foregroundStyle(.red) }
            Button("確認方法を変える") { visit.backToModeChoice() }.frame(minHeight: touchTarget)
        case let .wrongCard(_, _, message):
            Text(message).font(.headline)
            Button("別のカードを当てる") { visit.holdAnotherCard() }
                .buttonStyle(.borderedProminent).frame(minHeight: touchTarget)
        case let .confirmNewCard(message):
            Text(message).font(.headline)
            Button("再発行されたカードであることを確認した") { visit.confirmNewCard() }
                .buttonStyle(.borderedProminent).frame(minHeight: touchTarget)
            Button("別のカードを当てる") { visit.holdAnotherCard() }.frame(minHeight: touchTarget)
        case let .comparePhoto(png, note):
            PhotoCompare(png: png, note: note, visit: visit)
        case let .consent(mode, term):
            ConsentForm(mode: mode, term: term, visit: visit)
        case let .refused(message):
            Text(message).font(.headline)
            Button("受付ガイドを見る") { app.show(.reception(patientId: visit.patientId)) }
                .buttonStyle(.borderedProminent).frame(minHeight: touchTarget)
        case let .done(_, term, delivery):
            Text("確認が終わりました").font(.title2)
            Text(term.description)
            Text(delivery.text)
            if case let .wedged(reason) = delivery, let reason { Text(reason).font(.footnote) }
            Button("訪問一覧に戻る") { Task { await app.finishVisit() } }
                .buttonStyle(.borderedProminent).frame(minHeight: touchTarget)
        case .cancelled:
            Button("訪問一覧に戻る") { Task { await app.finishVisit() } }.frame(minHeight: touchTarget)
        }
    }
}

/// A masked keypad. The digits are bytes in an array the model wipes; they
/// are never a String in view state.
private struct SecretPad: View {
    let title: String
    let length: Int
    let triesLeft: Int?
    let warning: String?
    let submit: (inout [UInt8]) -> Void
    @State private var digits: [UInt8] = []

    var body: some View {
        VStack(spacing: 12) {
            Text(title).font(.headline)
            if let triesLeft { Text("残り \(triesLeft) 回") }
            if let warning { Text(warning).foregroundStyle(.red) }
            Text(String(repeating: "●", count: digits.count) + String(repeating: "○", count: length - digits.count))
                .font(.largeTitle)
                .accessibilityLabel("\(digits.count) 桁入力済み")
            ForEach(["123", "456", "789", "<0>"], id: \.self) { row in
                HStack(spacing: 12) {
                    ForEach(Array(row), id: \.self) { key in
                        Button {
                            press(key)
                        } label: {
                            Text(key == "<" ? "⌫" : key == ">" ? "決定" : String(key))
                                .frame(width: touchTarget + 16, height: touchTarget)
                        }
                        .buttonStyle(.bordered)
                        .accessibilityLabel(key == "<" ? "1文字消す" : key == ">" ? "決定" : String(key))
                    }
                }
            }
        }
    }

    private func press(_ key: Character) {
        switch key {
        case "<":
            if !digits.isEmpty { digits[digits.count - 1] = 0; digits.removeLast() }
        case ">":
            guard digits.count == length else { return }
            submit(&digits)
            digits.removeAll()
        default:
            if digits.count < length, let ascii = key.asciiValue { digits.append(ascii) }
        }
    }
}

private struct PhotoCompare: View {
    let png: Data
    let note: String
    @ObservedObject var visit: VisitModel
    @State private var reason: VisualReason?
    @State private var memo = ""

    var body: some View {
        VStack(alignment: .leading, spacing: 12) {
            if let image = UIImage(data: png) {
                Image(uiImage: image).resizable().scaledToFit().frame(maxHeight: 260)
                    .accessibilityLabel("ICチップの顔写真")
            }
            Text(note)
            Text("暗証番号を使わない理由").font(.headline)
            ForEach(Labels.allVisualReasons, id: \.self) { r in
                Button {
                    reason = r
                } label: {
                    Label(Labels.visualReason(r), systemImage: reason == r ? "largecircle.fill.circle" : "circle")
                        .frame(minHeight: touchTarget, alignment: .leading)
                }
            }
            TextField("メモ(「その他」のときは必須)", text: $memo).textFieldStyle(.roundedBorder)
            Button("本人と確認した") { if let reason { visit.photoMatches(reason: reason, note: memo) } }
                .buttonStyle(.borderedProminent).frame(minHeight: touchTarget).disabled(reason == nil)
            Button("本人と確認できない", role: .destructive) { visit.photoDoesNotMatch() }.frame(minHeight: touchTarget)
        }
    }
}

private struct ConsentForm: View {
    let mode: IdentityMode
    let term: ConsentTerm
    @ObservedObject var visit: VisitModel
    @State private var comprehensive = true
    @State private var chosen: Set<ConsentCategory> = []
    @State private var prescription: Prescription = .electronic

    var body: some View {
        VStack(alignment: .leading, spacing: 12) {
            Text(mode == .pin ? "暗証番号で本人確認しました" : "目視で本人確認しました").font(.headline)
            Toggle("包括同意(すべての情報)", isOn: $comprehensive).frame(minHeight: touchTarget)
            if !comprehensive {
                ForEach(Labels.allCategories, id: \.self) { c in
                    Toggle(Labels.category(c), isOn: Binding(
                        get: { chosen.contains(c) },
                        set: { on in if on { chosen.insert(c) } else { chosen.remove(c) } }
                    ))
                    .frame(minHeight: touchTarget)
                }
            }
            Picker("処方箋", selection: $prescription) {
                Text(Labels.prescription(.electronic)).tag(Prescription.electronic)
                Text(Labels.prescription(.paper)).tag(Prescription.paper)
            }
            .pickerStyle(.segmented)
            Text(term.description).font(.callout)
            Button("同意を記録する") {
                Task {
                    await visit.giveConsent(
                        comprehensive: comprehensive,
                        categories: Labels.allCategories.filter { chosen.contains($0) },
                        prescription: prescription
                    )
                }
            }
            .buttonStyle(.borderedProminent)
            .frame(maxWidth: .infinity, minHeight: touchTarget)
        }
    }
}
