// SPDX-License-Identifier: MPL-2.0
import AVFoundation
import SwiftUI
import UIKit
import VisionKit

/// 「カメラで読み取る」: asks for the camera when it has not been asked yet,
/// says what to do when it was refused, then shows the QR scanner.
struct QRButton: View {
    let found: (String) -> Void
    @State private var scanning = false
    @State private var refused = false

    var body: some View {
        if DataScannerViewController.isSupported {
            Button("カメラで読み取る") { start() }
                .frame(minHeight: touchTarget)
                .sheet(isPresented: $scanning) {
                    QRScanner { text in
                        scanning = false
                        found(text)
                    }
                    .ignoresSafeArea()
                }
            if refused {
                Text("カメラの使用が許可されていません。設定アプリで許可するか、QRコードの文字列を貼り付けてください。")
                    .font(.footnote)
                Button("設定を開く") {
                    if let url = URL(string: UIApplication.openSettingsURLString) {
                        UIApplication.shared.open(url)
                    }
                }
            }
        }
    }

    private func start() {
        switch AVCaptureDevice.authorizationStatus(for: .video) {
        case .authorized:
            refused = !DataScannerViewController.isAvailable
            scanning = !refused
        case .notDetermined:
            AVCaptureDevice.requestAccess(for: .video) { granted in
                DispatchQueue.main.async {
                    refused = !granted
                    scanning = granted
                }
            }
        case .denied, .restricted:
            refused = true
        @unknown default:
            refused = true
        }
    }
}

/// VisionKit's scanner, QR codes only; hands over the first enrolment link.
/// It starts scanning once it is on screen (`viewDidAppear`).
private struct QRScanner: UIViewControllerRepresentable {
    let found: (String) -> Void

    func makeUIViewController(context: Context) -> ScannerHost {
        ScannerHost(found: found)
    }

    func updateUIViewController(_ host: ScannerHost, context: Context) {}
}

final class ScannerHost: UIViewController, DataScannerViewControllerDelegate {
    private let found: (String) -> Void
    private let scanner: DataScannerViewController
    private let problem = UILabel()
    private var done = false

    init(found: @escaping (String) -> Void) {
        self.found = found
        scanner = DataScannerViewController(
            recognizedDataTypes: [.barcode(symbologies: [.qr])],
            qualityLevel: .balanced,
            isHighlightingEnabled: true
        )
        super.init(nibName: nil, bundle: nil)
    }

    @available(*, unavailable)
    required init?(coder: NSCoder) {
        fatalError("not from a storyboard")
    }

    override func viewDidLoad() {
        super.viewDidLoad()
        scanner.delegate = self
        addChild(scanner)
        scanner.view.frame = view.bounds
        scanner.view.autoresizingMask = [.flexibleWidth, .flexibleHeight]
        view.addSubview(scanner.view)
        scanner.didMove(toParent: self)
        problem.numberOfLines = 0
        problem.textAlignment = .center
        problem.adjustsFontForContentSizeCategory = true
        problem.font = .preferredFont(forTextStyle: .body)
        problem.frame = view.bounds.insetBy(dx: 24, dy: 24)
        problem.autoresizingMask = [.flexibleWidth, .flexibleHeight]
        problem.isHidden = true
        view.addSubview(problem)
    }

    override func viewDidAppear(_ animated: Bool) {
        super.viewDidAppear(animated)
        do {
            try scanner.startScanning()
        } catch {
            problem.text = "カメラを使えませんでした。閉じて、QRコードの文字列を貼り付けてください。"
            problem.isHidden = false
        }
    }

    override func viewWillDisappear(_ animated: Bool) {
        super.viewWillDisappear(animated)
        scanner.stopScanning()
    }

    func dataScanner(_ dataScanner: DataScannerViewController, didAdd addedItems: [RecognizedItem], allItems: [RecognizedItem]) {
        for item in addedItems {
            // Only an enrolment link closes the scanner (the core says what
            // one is, and checks it again); another QR code in view is passed over.
            if case let .barcode(code) = item, let text = code.payloadStringValue,
               isEnrolmentLink(text: text), !done {
                done = true
                dataScanner.stopScanning()
                found(text)
            }
        }
    }
}
