// SPDX-License-Identifier: MPL-2.0
import HoumonAppLogic
import HoumonCore
import HoumonNFC
import SwiftUI
import UIKit

/// One visit, step by step as the core says (`docs/screens.md`); every
/// button sends the core an event.
struct VisitPage: View {
    let visit: VisitView
    let nfc: NfcLine
    let model: AppModel
    let sheet: NFCSheet

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 16) {
                Text(visit.patientLine).font(.title2).accessibilityAddTraits(.isHeader)
                Text(visit.kindLabel).font(.subheadline)
                if let error = visit.error {
                    Text(error).foregroundStyle(.red).font(.body.weight(.semibold))
                }
                step
                if visit.guidanceOffered {
                    Button("受付ガイドを見る") { model.send(.openReception) }
                        .frame(minHeight: touchTarget)
                }
                if visit.canCancel {
                    Button(visit.cancelLabel, role: .destructive) { model.send(.cancelVisit) }
                        .frame(minHeight: touchTarget)
                }
            }
            .padding()
        }
    }

    @ViewBuilder private var step: some View {
        switch visit.screen {
        case .starting:
            ProgressView("準備しています…")
        case let .chooseMode(options):
            ForEach(options, id: \.label) { option in
                Button {
                    model.send(.chooseMode(mode: option.mode))
                } label: {
                    Text(option.recommended ? "\(option.label)(おすすめ)" : option.label)
                        .frame(maxWidth: .infinity, minHeight: touchTarget)
                }
                .buttonStyle(.borderedProminent)
                .disabled(!option.enabled)
                if let why = option.whyNot {
                    Text(why).font(.footnote)
                }
            }
        case let .enterPin(triesLeft, warning):
            SecretPad(
                title: "利用者証明用の暗証番号(数字4桁)", hint: nil,
                minimum: 4, maximum: 4, triesLeft: triesLeft, warning: warning
            ) { pin in
                model.send(.submitPin(pin: pin))
            }
            Button("確認方法を変える") { model.send(.back) }.frame(minHeight: touchTarget)
        case let .enterCollation(triesLeft, warning, hint):
            SecretPad(
                title: "照合番号B(14桁)", hint: hint,
                minimum: 14, maximum: 14, triesLeft: triesLeft, warning: warning
            ) { value in
                model.send(.submitCollation(value: value))
            }
            Button("確認方法を変える") { model.send(.back) }.frame(minHeight: touchTarget)
        case let .holdCard(_, line, reading, done, expected, antennaHint):
            Text(line).font(.title3)
            if reading && expected > 0 {
                ProgressView(value: Double(done), total: Double(expected))
                    .accessibilityLabel("読み取りの進み具合")
            }
            Text(antennaHint)
            Button {
                sheet.begin(line: line)
            } label: {
                Text(reading ? "読み取り中…" : "カードを読み取る")
                    .frame(maxWidth: .infinity, minHeight: touchTarget)
            }
            .buttonStyle(.borderedProminent)
            .disabled(reading || nfc.state != .on)
            if !reading {
                Button("確認方法を変える") { model.send(.back) }.frame(minHeight: touchTarget)
            }
        case let .confirmLastTry(_, message):
            Text(message).font(.headline)
            Button("患者さんの同意を得たので続ける") { model.send(.confirmLastTry) }
                .buttonStyle(.borderedProminent).frame(minHeight: touchTarget)
            Button("暗証番号を使わない") { model.send(.back) }.frame(minHeight: touchTarget)
        case let .wrongCard(_, _, message):
            Text(message).font(.headline)
            Button("別のカードを当てる") { model.send(.holdAnotherCard) }
                .buttonStyle(.borderedProminent).frame(minHeight: touchTarget)
        case let .confirmNewCard(message):
            Text(message).font(.headline)
            Button("再発行されたカードであることを確認した") { model.send(.confirmNewCard) }
                .buttonStyle(.borderedProminent).frame(minHeight: touchTarget)
            Button("別のカードを当てる") { model.send(.holdAnotherCard) }.frame(minHeight: touchTarget)
        case let .comparePhoto(png, _, _, note, reasons, checker):
            PhotoCompare(png: png, note: note, reasons: reasons, checker: checker, model: model)
        case let .consent(_, headline, term, categories, prescriptions, storing):
            ConsentForm(
                headline: headline, term: term, categories: categories,
                prescriptions: prescriptions, storing: storing, model: model
            )
        case let .refused(_, message, renewal):
            Text(message).font(.headline)
            if let renewal { RenewalCoach(renewal: renewal) }
            Button("訪問一覧に戻る") { model.send(.finishVisit) }.frame(minHeight: touchTarget)
        case let .done(_, term, _, deliveryLine, renewal):
            Text("確認が終わりました").font(.title2).accessibilityAddTraits(.isHeader)
            Text(term.description)
            Text(deliveryLine)
            if let renewal { RenewalCoach(renewal: renewal) }
            Button("訪問一覧に戻る") { model.send(.finishVisit) }
                .buttonStyle(.borderedProminent).frame(minHeight: touchTarget)
        case let .cancelled(message):
            Text(message)
            Button("訪問一覧に戻る") { model.send(.finishVisit) }.frame(minHeight: touchTarget)
        }
    }
}

/// The renewal coach: the card's certificate expires soon, is in its grace
/// or past it; what to tell the patient and the family, as the core says.
struct RenewalCoach: View {
    let renewal: RenewalAdvice

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            Text(renewal.title).font(.headline).accessibilityAddTraits(.isHeader)
            ForEach(Array(renewal.steps.enumerated()), id: \.offset) { item in
                Text("\(item.offset + 1). \(item.element)")
            }
        }
        .padding()
        .frame(maxWidth: .infinity, alignment: .leading)
        .overlay(RoundedRectangle(cornerRadius: 8).stroke(.orange))
    }
}

/// The chip's photo beside the person; why the PIN is not used; who compares.
private struct PhotoCompare: View {
    let png: Data
    let note: String
    let reasons: [ReasonOption]
    let checker: String
    let model: AppModel
    @State private var chosen: VisualReason? = nil
    @State private var memo = ""

    var body: some View {
        VStack(alignment: .leading, spacing: 12) {
            if let image = UIImage(data: png) {
                Image(uiImage: image).resizable().scaledToFit().frame(maxHeight: 260)
                    .accessibilityLabel("ICチップの顔写真")
            }
            Text(note)
            Text(checker).font(.subheadline)
            Text("暗証番号を使わない理由").font(.headline).accessibilityAddTraits(.isHeader)
            ForEach(reasons, id: \.label) { option in
                let selected = chosen == option.reason
                Button {
                    chosen = option.reason
                } label: {
                    Label(option.label, systemImage: selected ? "largecircle.fill.circle" : "circle")
                        .frame(maxWidth: .infinity, minHeight: touchTarget, alignment: .leading)
                }
                .accessibilityAddTraits(selected ? [.isSelected] : [])
            }
            TextField("メモ(「その他」のときは必須)", text: $memo, axis: .vertical)
                .textFieldStyle(.roundedBorder)
            Button("本人と確認した") {
                if let chosen { model.send(.photoMatches(reason: chosen, note: memo)) }
            }
            .buttonStyle(.borderedProminent).frame(minHeight: touchTarget).disabled(chosen == nil)
            Button("本人と確認できない", role: .destructive) { model.send(.photoDoesNotMatch) }
                .frame(minHeight: touchTarget)
        }
    }
}

/// Consent to share the patient's information, and the prescription form.
private struct ConsentForm: View {
    let headline: String
    let term: ConsentTerm
    let categories: [CategoryOption]
    let prescriptions: [PrescriptionOption]
    let storing: Bool
    let model: AppModel
    @State private var comprehensive = true
    @State private var chosen: Set<ConsentCategory> = []
    @State private var prescription: Prescription = .electronic

    var body: some View {
        VStack(alignment: .leading, spacing: 12) {
            Text(headline).font(.headline).accessibilityAddTraits(.isHeader)
            Toggle("包括同意(すべての情報)", isOn: $comprehensive).frame(minHeight: touchTarget)
            if !comprehensive {
                ForEach(categories, id: \.label) { option in
                    Toggle(option.label, isOn: Binding(
                        get: { chosen.contains(option.category) },
                        set: { on in
                            if on { chosen.insert(option.category) } else { chosen.remove(option.category) }
                        }
                    ))
                    .frame(minHeight: touchTarget)
                }
            }
            Picker("処方箋", selection: $prescription) {
                ForEach(prescriptions, id: \.label) { option in
                    Text(option.label).tag(option.prescription)
                }
            }
            .pickerStyle(.segmented)
            Text(term.description).font(.callout)
            Button {
                let picked = categories.map(\.category).filter { chosen.contains($0) }
                model.send(.giveConsent(consent: ConsentInput(
                    comprehensive: comprehensive, categories: picked, prescription: prescription
                )))
            } label: {
                Text(storing ? "記録しています…" : "同意を記録する")
                    .frame(maxWidth: .infinity, minHeight: touchTarget)
            }
            .buttonStyle(.borderedProminent)
            .disabled(storing)
        }
    }
}
