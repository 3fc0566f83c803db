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

/// What to accept and charge when the card cannot be used.
struct ReceptionView: View {
    @ObservedObject var app: AppModel
    let patientId: String?

    var body: some View {
        let guidance = ReceptionGuide.whenCardUnusable(day: Date(), patient: patientId.flatMap(app.round.patient))
        List {
            switch guidance {
            case let .success(g):
                Text(g.shareText).font(.headline)
                Text(g.text)
                ForEach(g.warnings, id: \.text) { w in
                    Text((w.uncertain ? "要確認: " : "") + w.text).foregroundStyle(.red)
                }
            case let .failure(error):
                Text((error as? HoumonError)?.staffText ?? error.localizedDescription).foregroundStyle(.red)
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
