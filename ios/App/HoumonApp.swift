// SPDX-License-Identifier: MPL-2.0
import HoumonAppLogic
import HoumonCore
import HoumonNFC
import SwiftUI

/// The app. Its one core lives in `Houmon.model`, made on first use: by the
/// window, or by the background task when iOS launches the app only for it.
@main
struct HoumonApp: App {
    @Environment(\.scenePhase) private var phase
    @ObservedObject private var model = Houmon.model
    @ObservedObject private var lock = Houmon.lock

    init() {
        // Before the app finishes launching, as BGTaskScheduler requires.
        BackgroundSync.register()
    }

    var body: some Scene {
        WindowGroup {
            RootView(model: model, glue: Houmon.glue)
                .overlay {
                    if lock.locked {
                        LockScreen(lock: lock)
                    } else if phase != .active && (model.view?.protectScreen ?? true) {
                        // The app-switcher snapshot is taken after this.
                        PrivacyCover()
                    }
                }
        }
        .onChange(of: phase) { now in
            switch now {
            case .active:
                if lock.returned() { model.send(.foregrounded) }
            case .background:
                lock.left()
                // The core answers with ScheduleSync at its next time.
                model.send(.backgrounded)
            case .inactive:
                break
            @unknown default:
                break
            }
        }
    }
}

/// What lives once per process.
@MainActor
enum Houmon {
    /// The clinic's settings from its device management (read at launch).
    static let managed = ManagedConfig.read()
    static let glue = Glue(sheet: NFCSheet { Houmon.model.cardTapped($0) })
    static let lock = AppLock(after: managed.lockAfter)

    /// The app's one core: the window, the background task and the NFC sheet
    /// all use this one.
    static let model: AppModel = {
        setLogSink(sink: OSLogSink())
        let config = AppConfig(
            dbPath: StoreFolder.databasePath(),
            platform: Device.info(deviceName: managed.deviceName),
            policy: managed.policy
        )
        let model = AppModel(config: config, keys: KeychainKeys(), glue: glue)
        model.send(.nfcChanged(state: NFCSheet.available ? .on : .unsupported))
        Connectivity.shared.start { online in model.send(.networkChanged(online: online)) }
        return model
    }()
}
