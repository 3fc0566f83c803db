// SPDX-License-Identifier: MPL-2.0
import HoumonAppLogic
import HoumonCore
import SwiftUI
import VisionKit

/// Enrolment: scan the clinic's QR code (VisionKit's data scanner) or paste its text.
struct EnrolView: View {
    @ObservedObject var app: AppModel
    @ObservedObject var model: EnrolmentModel
    @State private var text = ""
    @State private var name = UIDevice.current.name
    @State private var scanning = false

    var body: some View {
        Form {
            Section {
                Text("管理者が発行した登録用QRコードを読み取ってください(1回限り・数分で失効します)。")
                if DataScannerViewController.isSupported {
                    Button("カメラで読み取る") { scanning = true }.frame(minHeight: touchTarget)
                }
            }
            Section("この端末") {
                TextField("端末の名前", text: $name)
                TextField("QRコードの文字列を貼り付け", text: $text, axis: .vertical)
                Button("登録する") { Task { await app.enrol(text: text, deviceName: name) } }
                    .disabled(model.busy || text.isEmpty)
                    .frame(minHeight: touchTarget)
            }
            if let error = model.error { Text(error).foregroundStyle(.red) }
        }
        .navigationTitle("クリニックへの登録")
        .sheet(isPresented: $scanning) {
            QRScanner { scanned in
                scanning = false
                Task { await app.enrol(text: scanned, deviceName: name) }
            }
        }
    }
}

/// VisionKit's scanner, QR codes only; hands over the first enrolment link.
struct QRScanner: UIViewControllerRepresentable {
    let found: (String) -> Void

    func makeUIViewController(context: Context) -> DataScannerViewController {
        let scanner = DataScannerViewController(
            recognizedDataTypes: [.barcode(symbologies: [.qr])],
            qualityLevel: .balanced,
            isHighlightingEnabled: true
        )
        scanner.delegate = context.coordinator
        try? scanner.startScanning()
        return scanner
    }

    func updateUIViewController(_ controller: DataScannerViewController, context: Context) {}

    func makeCoordinator() -> Coordinator { Coordinator(found: found) }

    final class Coordinator: NSObject, DataScannerViewControllerDelegate {
        let found: (String) -> Void
        private var done = false

        init(found: @escaping (String) -> Void) {
            self.found = found
        }

        func dataScanner(_ scanner: DataScannerViewController, didAdd items: [RecognizedItem], allItems: [RecognizedItem]) {
            for item in items {
                if case let .barcode(code) = item, let text = code.payloadStringValue,
                   text.hasPrefix(EnrolmentModel.prefix), !done {
                    done = true
                    scanner.stopScanning()
                    found(text)
                }
            }
        }
    }
}

/// Records not yet accepted; a wedged one shows the clinic's reason.
struct QueueView: View {
    @ObservedObject var app: AppModel
    @ObservedObject var queue: QueueModel
    @State private var discarding: String?

    var body: some View {
        List {
            if let error = queue.error { Text(error).foregroundStyle(.red) }
            Section("要確認") {
                ForEach(queue.wedged, id: \.id) { entry in
                    VStack(alignment: .leading) {
                        Text(entry.createdAt.formatted(date: .abbreviated, time: .shortened))
                        if let reason = QueueModel.reason(entry) { Text(reason).font(.callout) }
                        HStack {
                            Button("再送する") { Task { await queue.retry(entry.id) } }
                            Button("破棄する", role: .destructive) { discarding = entry.id }
                        }
                        .buttonStyle(.bordered)
                    }
                }
            }
            Section("送信待ち") {
                ForEach(queue.pending, id: \.id) { entry in
                    Text("\(entry.createdAt.formatted(date: .abbreviated, time: .shortened))(\(entry.attempts)回試行)")
                }
            }
        }
        .navigationTitle("未送信の記録")
        .toolbar { Button("戻る") { app.show(.round) } }
        .task { await queue.load() }
        .confirmationDialog("この記録を破棄しますか。この端末から削除され、クリニックには届きません。",
                            isPresented: Binding(get: { discarding != nil }, set: { if !$0 { discarding = nil } }),
                            titleVisibility: .visible) {
            Button("破棄する", role: .destructive) {
                if let id = discarding { Task { await queue.discard(id) } }
                discarding = nil
            }
        }
    }
}

/// What to try first, then what to charge, when the card cannot be used;
/// staff mark each step as they try it and the answer changes.
struct ReceptionView: View {
    @ObservedObject var app: AppModel
    @StateObject private var model: ReceptionModel

    init(app: AppModel, patientId: String?) {
        self.app = app
        let patient = patientId.flatMap(app.round.patient)
        _model = StateObject(wrappedValue: ReceptionModel(
            day: Date(),
            patient: patient,
            identity: app.visitIdentity,
            setting: ReceptionModel.setting(of: patient?.facility != nil ? .facility : .homeCare)
        ))
    }

    private let steps: [(ReceptionStep, String)] = [
        (.visualCheck, "目視確認"), (.askCard, "マイナ保険証"),
        (.familyBringsDocument, "家族が書類を届ける"), (.phoneInsurer, "保険者に電話"),
    ]

    var body: some View {
        List {
            if let error = model.error { Text(error).foregroundStyle(.red) }
            if let g = model.guidance {
                Section {
                    Text(g.headline).font(.headline)
                    ForEach(Array(g.nextChecks.enumerated()), id: \.offset) { i, step in
                        Text("\(i + 1). \(step)")
                    }
                    Text("負担: \(g.shareText)").font(.subheadline)
                    ForEach(g.warnings, id: \.text) { w in
                        Text((w.uncertain ? "要確認: " : "") + w.text).foregroundStyle(.red)
                    }
                }
            }
            Section("試した手順") {
                ForEach(steps, id: \.1) { step, label in
                    HStack {
                        Text(label)
                        Spacer()
                        Button("確認できた") { model.record(step, .confirmed) }
                        Button("できなかった") { model.record(step, .failed) }
                        Button("対応中") { model.record(step, .pending) }
                    }
                    .buttonStyle(.bordered)
                }
            }
        }
        .navigationTitle("受付ガイド")
        .toolbar { Button("戻る") { app.show(.round) } }
    }
}

struct SettingsView: View {
    @ObservedObject var app: AppModel

    var body: some View {
        let e = app.core.enrolment()
        List {
            LabeledContent("クリニック", value: e?.serverUrl ?? "未登録")
            LabeledContent("職員", value: e?.staffId ?? "-")
            LabeledContent("端末", value: e?.deviceId ?? "-")
        }
        .navigationTitle("設定")
        .toolbar { Button("戻る") { app.show(.round) } }
    }
}
