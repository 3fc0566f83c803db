// SPDX-License-Identifier: MPL-2.0
import HoumonAppLogic
import HoumonCore
import SwiftUI

/// The store did not open: the core's message and code, 再試行, and the
/// administrator-confirmed reset (which asks for the clinic's QR code).
struct RecoveryPage: View {
    let recovery: RecoveryView
    let model: AppModel

    var body: some View {
        Form {
            Section {
                Text(recovery.title).font(.headline).accessibilityAddTraits(.isHeader)
                Text(recovery.message)
                Text("コード: \(recovery.code)").font(.footnote)
                if let unsent = recovery.unsent {
                    Text("クリニックに届いていない記録: \(unsent)件").font(.callout)
                }
            }
            Section {
                Button(recovery.retryLabel) { model.send(.retryOpen) }.frame(minHeight: touchTarget)
                if let step = recovery.resetStep {
                    Text(step)
                    EnrolmentInput { text in model.send(.enrolmentScanned(text: text)) }
                } else {
                    Button(recovery.resetLabel, role: .destructive) { model.send(.startReset) }
                        .frame(minHeight: touchTarget)
                }
            }
        }
    }
}

/// Enrolment: the clinic's QR code (camera) or its text pasted.
struct EnrolPage: View {
    let enrol: EnrolView
    let model: AppModel

    var body: some View {
        Form {
            Section {
                Text(enrol.title).font(.headline).accessibilityAddTraits(.isHeader)
                Text(enrol.explanation)
                if let error = enrol.error {
                    Text(error).foregroundStyle(.red)
                }
            }
            Section {
                if enrol.busy {
                    ProgressView("登録しています…")
                } else {
                    EnrolmentInput { text in model.send(.enrolmentScanned(text: text)) }
                }
            }
        }
    }
}

/// The QR code by camera, or its text pasted (for a phone without camera
/// permission, or a link sent by the administrator).
private struct EnrolmentInput: View {
    let scanned: (String) -> Void
    @State private var text = ""

    var body: some View {
        QRButton(found: scanned)
        TextField("QRコードの文字列を貼り付け", text: $text, axis: .vertical)
        Button("登録する") { scanned(text) }
            .disabled(text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            .frame(minHeight: touchTarget)
    }
}

/// Staff sign in for their shift: who, then their code on the pad.
struct SignInPage: View {
    let signIn: SignInView
    let model: AppModel
    @State private var chosen: String? = nil

    var body: some View {
        Form {
            Section {
                Text(signIn.title).font(.headline).accessibilityAddTraits(.isHeader)
                Text(signIn.explanation)
                if let error = signIn.error {
                    Text(error).foregroundStyle(.red)
                }
            }
            Section("職員") {
                ForEach(signIn.staff, id: \.staffId) { person in
                    let selected = chosen == person.staffId
                    Button {
                        chosen = person.staffId
                    } label: {
                        VStack(alignment: .leading) {
                            Label(person.name, systemImage: selected ? "largecircle.fill.circle" : "circle")
                            if let note = person.note { Text(note).font(.footnote) }
                        }
                        .frame(maxWidth: .infinity, minHeight: touchTarget, alignment: .leading)
                    }
                    .disabled(!person.canSignIn)
                    .accessibilityAddTraits(selected ? [.isSelected] : [])
                }
            }
            if let staffId = chosen {
                Section {
                    if signIn.checking {
                        ProgressView("確認しています…")
                    } else {
                        SecretPad(
                            title: "サインインコード", hint: nil,
                            minimum: Int(signIn.codeMin), maximum: Int(signIn.codeMax),
                            triesLeft: nil, warning: nil
                        ) { code in
                            model.send(.signIn(staffId: staffId, code: code))
                        }
                    }
                }
            }
        }
    }
}

/// What to try first, then what to charge, when the card cannot be used;
/// staff mark each step as they try it and the core's answer changes.
struct ReceptionPage: View {
    let reception: ReceptionView
    let model: AppModel

    var body: some View {
        List {
            Section {
                Text(reception.patientLine).font(.headline).accessibilityAddTraits(.isHeader)
                if let error = reception.error {
                    Text(error).foregroundStyle(.red)
                }
            }
            if let guidance = reception.guidance {
                Section {
                    Text(guidance.headline).font(.headline)
                    ForEach(Array(guidance.nextChecks.enumerated()), id: \.offset) { item in
                        Text("\(item.offset + 1). \(item.element)")
                    }
                    Text("負担: \(guidance.shareText)").font(.subheadline)
                    Text(guidance.basis).font(.footnote)
                    ForEach(guidance.warnings, id: \.text) { warning in
                        Text((warning.uncertain ? "要確認: " : "") + warning.text).foregroundStyle(.red)
                    }
                    ForEach(guidance.followUp, id: \.self) { line in
                        Text(line).font(.footnote)
                    }
                }
                if !guidance.consent.isEmpty {
                    Section("同意の取り方") {
                        ForEach(guidance.consent, id: \.self) { line in Text(line) }
                    }
                }
                if let renewal = guidance.renewal {
                    Section { RenewalCoach(renewal: renewal) }
                }
            }
            Section("試した手順") {
                ForEach(reception.steps, id: \.label) { option in
                    VStack(alignment: .leading, spacing: 8) {
                        Text(option.label)
                        HStack {
                            ForEach(reception.resultOptions, id: \.label) { choice in
                                Button(choice.label) {
                                    model.send(.recordReceptionStep(step: option.step, result: choice.result, shareWari: nil))
                                }
                                .buttonStyle(.bordered)
                                .accessibilityAddTraits(option.result == choice.result ? [.isSelected] : [])
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Records not yet accepted: refused ones (要確認) with the clinic's reason,
/// then those waiting.
struct QueuePage: View {
    let queue: QueueView
    let model: AppModel

    var body: some View {
        List {
            Section {
                Text(queue.summary)
                if let next = queue.nextTryLine { Text(next).font(.footnote) }
            }
            Section("要確認") {
                ForEach(queue.wedged, id: \.id) { row in
                    VStack(alignment: .leading, spacing: 6) {
                        Text(row.createdLine)
                        if let reason = row.reason { Text(reason).font(.callout) }
                        HStack {
                            Button("再送する") { model.send(.retryRecord(id: row.id)) }
                            Button("破棄する", role: .destructive) { model.send(.discardRecord(id: row.id)) }
                        }
                        .buttonStyle(.bordered)
                    }
                }
            }
            Section("送信待ち") {
                ForEach(queue.pending, id: \.id) { row in
                    Text("\(row.createdLine)(\(row.attempts)回試行)")
                }
            }
        }
    }
}

struct SettingsPage: View {
    let settings: SettingsView
    let model: AppModel

    var body: some View {
        List {
            if let enrolment = settings.enrolment {
                Section("この端末") {
                    LabeledContent("クリニック", value: enrolment.serverUrl)
                    LabeledContent("職員", value: enrolment.staffId)
                    LabeledContent("端末", value: enrolment.deviceId)
                }
            }
            Section {
                ForEach(settings.lines, id: \.self) { line in Text(line) }
                Toggle(settings.carefulReadingLabel, isOn: Binding(
                    get: { settings.carefulReading },
                    set: { on in model.send(.setCarefulReading(on: on)) }
                ))
                .frame(minHeight: touchTarget)
            }
            Section("サインイン") {
                if let signedIn = settings.signedIn {
                    Text(signedIn)
                    Button("サインアウト") { model.send(.signOut) }.frame(minHeight: touchTarget)
                } else {
                    Button("サインインする") { model.send(.openSignIn) }.frame(minHeight: touchTarget)
                }
            }
        }
    }
}
