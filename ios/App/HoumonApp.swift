// SPDX-License-Identifier: MPL-2.0
import HoumonAppLogic
import HoumonCore
import SwiftUI

/// Opens the core once (its encrypted store in Application Support, the key
/// from the Keychain) and shows the screens the app logic chooses.
@main
struct HoumonApp: App {
    @StateObject private var holder = CoreHolder()

    init() {
        setLogSink(sink: OSLogSink())
        BackgroundSync.register { [holder] in holder.app?.sync }
    }

    var body: some Scene {
        WindowGroup {
            Group {
                if let app = holder.app {
                    RootView(app: app)
                } else if let error = holder.error {
                    Text(error).padding()
                } else {
                    ProgressView("起動しています…")
                }
            }
            .task { await holder.open() }
        }
    }
}

@MainActor
final class CoreHolder: ObservableObject {
    @Published var app: AppModel?
    @Published var error: String?
    private let connectivity = Connectivity()

    func open() async {
        guard app == nil else { return }
        do {
            let dir = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
            var path = dir.appendingPathComponent("houmon.sqlite")
            let core = try await HoumonCore.open(dbPath: path.path, keys: KeychainKeys(), keepPhoto: false)
            var values = URLResourceValues()
            values.isExcludedFromBackup = true
            try? path.setResourceValues(values)
            let model = AppModel(core: core)
            app = model
            connectivity.start(model.sync)
        } catch let e as HoumonError {
            error = e.staffText
        } catch {
            self.error = "起動できませんでした。端末を再起動してからお試しください。"
        }
    }
}
