"""The planted mistakes of the self-test: each is one edit (or a few) of
the real tree, the kind of finding it must cause, and a piece of its text.
A plant whose text is no longer in the tree fails the self-test too (keep
them in step with the code)."""
from dataclasses import dataclass

APP = "ios/Sources/HoumonAppLogic/AppModel.swift"
NFC = "ios/Sources/HoumonNFC/NFCSheet.swift"
TRANSPORT = "ios/Sources/HoumonNFC/NFCCardTransport.swift"
ROOT = "ios/App/Views/RootView.swift"
ROUND = "ios/App/Views/RoundPage.swift"
VISIT = "ios/App/Views/VisitPage.swift"
MAIN = "ios/App/HoumonApp.swift"
BG = "ios/App/Platform/BackgroundSync.swift"
GLUE = "ios/App/Platform/Glue.swift"
KEYS = "ios/App/Platform/KeychainKeys.swift"
LOG = "ios/App/Platform/OSLogSink.swift"
MDM = "ios/App/Platform/ManagedConfig.swift"
LOCK = "ios/App/Platform/AppLock.swift"
YML = "ios/project.yml"
PKG = "ios/Package.swift"
INFO = "ios/App/Info.plist"
ENT = "ios/App/Houmon.entitlements"
PRIV = "ios/App/PrivacyInfo.xcprivacy"
MDMX = "ios/ManagedAppConfig.plist"


@dataclass
class Plant:
    name: str
    kind: str
    expect: str
    edits: list   # [(file, old text, new text)]; old None: a new file; new None: take the file away


def one(name, kind, expect, rel, old, new):
    return Plant(name, kind, expect, [(rel, old, new)])


PLANTS = [
    # A misspelled method: on an inferred local, an app-typed local, a static's value.
    one("core method on an inferred local", "member", "AppCore has no method vieww",
        APP, "view = core.view()", "view = core.vieww()"),
    one("app method on an inferred local", "member", "AppModel has no method sendd",
        MAIN, "model.send(.nfcChanged(", "model.sendd(.nfcChanged("),
    one("method on a static's inferred value", "member", "AppModel has no method settel",
        BG, "await model.settle()", "await model.settel()"),
    one("method of an app protocol", "labels", "PlatformGlue.feedback(kind:) matches no declaration",
        APP, "glue.feedback(kind)", "glue.feedback(kind: kind)"),
    # Misspelled enum cases, in a switch and in a multi-case pattern, and an implicit member.
    one("case in a switch pattern", "pattern", "Screen has no case .signin",
        ROOT, "case let .signIn(signIn):", "case let .signin(signIn):"),
    one("case in a multi-case pattern", "pattern", "VisitScreen has no case .comparePhotos",
        NFC, "case .comparePhoto, .consent, .done:", "case .comparePhotos, .consent, .done:"),
    one("case of an effect", "pattern", "Effect has no case .cancelScheduleSync",
        APP, "case .cancelScheduledSync:", "case .cancelScheduleSync:"),
    one("associated values in a pattern", "pattern", "has 6 associated values, the pattern 5",
        NFC, "case let .holdCard(_, line, _, done, expected, _):", "case let .holdCard(_, line, _, done, expected):"),
    one("implicit member assigned", "member", ".whenshared is not a case",
        MDM, "policy.signIn = .whenShared", "policy.signIn = .whenshared"),
    one("implicit member in a comparison", "member", ".onn is not a case",
        VISIT, "nfc.state != .on", "nfc.state != .onn"),
    # Non-exhaustive switches over core enums.
    one("switch over Effect without a case", "exhaustive", "switch over Effect misses .openNfcSettings",
        APP, "        case .openNfcSettings:\n            glue.openNfcSettings()\n", ""),
    one("switch over FeedbackKind without a case", "exhaustive", "misses .notNow",
        GLUE, "        case .notNow:\n            UIImpactFeedbackGenerator(style: .light).impactOccurred()\n", ""),
    # Missing try / await.
    one("missing await on the core's async call", "effects", "AppCore.settle is async",
        APP, "await core.settle()", "core.settle()"),
    one("missing await on the app's async call", "effects", "AppModel.settle is async",
        BG, "await model.settle()", "model.settle()"),
    one("missing try on a throwing call", "effects", "KeychainKeys.read throws",
        KEYS, "if let existing = try read()", "if let existing = read()"),
    # Conformances: effects, return types, a lost requirement, isolation.
    one("transceive lost async", "conformance", "transceive must be as CardTransport declares it: async",
        TRANSPORT, "transceive(apdu: Data) async throws", "transceive(apdu: Data) throws"),
    one("limits returns an optional", "conformance", "returns TransportLimits",
        TRANSPORT, "public func limits() -> TransportLimits {", "public func limits() -> TransportLimits? {"),
    one("a requirement misspelled", "conformance", "lacks resetDatabaseKey()",
        KEYS, "func resetDatabaseKey() throws", "func resetDataBaseKey() throws"),
    one("AppShell method not nonisolated", "isolation", "render (for AppShell",
        APP, "public nonisolated func render(view: AppView)", "public func render(view: AppView)"),
    # A record property misspelled: on a bound pattern value, two levels deep, in a header.
    one("property of a pattern-bound view", "member", "VisitView has no property patientLin",
        VISIT, "visit.patientLine", "visit.patientLin"),
    one("property two levels deep", "member", "EligibilityView has no property labl",
        ROUND, "row.eligibility.label).font", "row.eligibility.labl).font"),
    one("property of a let-bound record", "member", "Header has no property syncLines",
        ROOT, "header.syncLine,", "header.syncLines,"),
    # Labels.
    one("case labels of an event", "labels", ".openPatient(id:) is not a case of AppEvent",
        ROUND, "openPatient(patientId: row.patientId)", "openPatient(id: row.patientId)"),
    one("initialiser labels of a core record", "labels", "AppConfig(path:platform:policy:) matches no declaration",
        MAIN, "dbPath: StoreFolder.databasePath(),", "path: StoreFolder.databasePath(),"),
    # Access across modules, and a value of a core type declared as another.
    one("app model made internal", "access", "AppModel is used in App but is not public",
        APP, "public final class AppModel", "final class AppModel"),
    one("app model's send made internal", "access", "AppModel.send is used in App but is not public",
        APP, "    public func send(_ event: AppEvent)", "    func send(_ event: AppEvent)"),
    one("NFC sheet's begin made internal", "access", "NFCSheet.begin is used in App but is not public",
        NFC, "    public func begin(line: String)", "    func begin(line: String)"),
    one("a private state without an initial value", "access", "SignInPage's memberwise initialiser is private",
        "ios/App/Views/OtherPages.swift", "@State private var chosen: String? = nil", "@State private var chosen: String?"),
    one("a private var in a view built elsewhere", "access", "RoundPage's memberwise initialiser is private",
        ROUND, "    let model: AppModel\n", "    let model: AppModel\n    private var shown = false\n"),
    one("core value declared as another type", "type", "AppView is declared as Int",
        APP, "        view = core.view()\n", "        let first: Int = core.view()\n        view = core.view()\n"),
    # An app type named like a core type.
    one("app type shadowing a core type", "shadow", "the app declares RoundView",
        ROUND, "struct RoundPage: View {", "struct RoundView: View {"),
    # Imports.
    one("UIKit in HoumonAppLogic", "imports", "HoumonAppLogic may import only",
        APP, "import Combine\n", "import Combine\nimport UIKit\n"),
    one("ObservableObject without Combine", "imports", "without `import Combine`",
        LOCK, "import Combine\n", ""),
    one("HoumonNFC importing HoumonAppLogic", "imports", "HoumonNFC imports HoumonAppLogic, which is not among",
        NFC, "import HoumonCore\n", "import HoumonAppLogic\nimport HoumonCore\n"),
    # project.yml.
    one("SWIFT_VERSION 5.9", "project.yml", "SWIFT_VERSION is '5.9'",
        YML, 'SWIFT_VERSION: "5.0"', 'SWIFT_VERSION: "5.9"'),
    one("SWIFT_VERSION unquoted", "project.yml", "SWIFT_VERSION is 5.0",
        YML, 'SWIFT_VERSION: "5.0"', "SWIFT_VERSION: 5.0"),
    Plant("info: without properties", "project.yml", "`info:` has no `properties:`", [
        (YML, "    settings:\n", "    info:\n      path: App/Info.plist\n    settings:\n"),
        (YML, "        INFOPLIST_FILE: App/Info.plist\n", ""),
    ]),
    one("entitlements file renamed", "project.yml", "CODE_SIGN_ENTITLEMENTS names App/Houmon.entitlement,",
        YML, "CODE_SIGN_ENTITLEMENTS: App/Houmon.entitlements", "CODE_SIGN_ENTITLEMENTS: App/Houmon.entitlement"),
    one("product misspelled", "project.yml", "product HoumonNFCC is not one",
        YML, "product: HoumonNFC\n", "product: HoumonNFCC\n"),
    one("source path misspelled", "project.yml", "source Appp is not in ios/",
        YML, "      - path: App\n", "      - path: Appp\n"),
    one("privacy manifest not a resource", "project.yml", "PrivacyInfo.xcprivacy is not a resource",
        YML, "        buildPhase: resources\n", ""),
    one("deployment target differs", "project.yml", "deploymentTarget iOS 17.0 differs",
        YML, 'iOS: "16.0"', 'iOS: "17.0"'),
    one("pre-build script missing", "project.yml", "check-cores.sh is not an executable",
        YML, "$SRCROOT/check-core.sh", "$SRCROOT/check-cores.sh"),
    one("iPad added", "project.yml", "TARGETED_DEVICE_FAMILY",
        YML, 'TARGETED_DEVICE_FAMILY: "1"', 'TARGETED_DEVICE_FAMILY: "1,2"'),
    # Package.swift and the release it records.
    one("tools version below 5.10", "Package.swift", "swift-tools-version must be 5.10",
        PKG, "// swift-tools-version: 5.10", "// swift-tools-version: 5.9"),
    one("xcframework path misspelled", "Package.swift", "the local core is HoumonCoreFFl.xcframework",
        PKG, 'path: "HoumonCoreFFI.xcframework")', 'path: "HoumonCoreFFl.xcframework")'),
    one("Security not linked", "Package.swift", "HoumonCore must link Security",
        PKG, 'linkerSettings: [.linkedFramework("Security")]', "linkerSettings: []"),
    one("target path misspelled", "Package.swift", "path Sources/HoumonNFc is not a folder",
        PKG, 'path: "Sources/HoumonNFC"', 'path: "Sources/HoumonNFc"'),
    one("release from other bindings", "release", "built from other bindings",
        PKG, "bindings: String)? = nil",
        'bindings: String)? = (\n    url: "https://example.org/HoumonCoreFFI.xcframework.zip",\n'
        f'    checksum: "{"0" * 64}",\n    bindings: "{"1" * 64}"\n)'),
    one("release checksum malformed", "release", "is not SwiftPM's",
        PKG, "bindings: String)? = nil",
        'bindings: String)? = (\n    url: "https://example.org/HoumonCoreFFI.xcframework.zip",\n'
        '    checksum: "abc",\n    bindings: "x"\n)'),
    # Info.plist and the entitlements against the core and the code.
    one("select-identifiers in the entitlements", "plist", "is an Info.plist key, not an entitlement",
        ENT, "\t</array>\n</dict>",
        "\t</array>\n\t<key>com.apple.developer.nfc.readersession.iso7816.select-identifiers</key>\n"
        "\t<array>\n\t\t<string>D392F000260100000001</string>\n\t</array>\n</dict>"),
    one("a forbidden AID", "plist", "expected exactly the core's allow-list",
        INFO, "<string>D3921000310001010402</string>", "<string>D3921000310001010408</string>"),
    one("NDEF format", "plist", "must be exactly [TAG]",
        ENT, "<string>TAG</string>", "<string>TAG</string>\n\t\t<string>NDEF</string>"),
    one("background task id differs", "plist", "BGTaskSchedulerPermittedIdentifiers",
        BG, 'static let identifier = "jp.houmon.app.sync"', 'static let identifier = "jp.houmon.sync"'),
    one("background mode fetch -> processing", "plist", "UIBackgroundModes ['processing']",
        INFO, "<string>fetch</string>", "<string>processing</string>"),
    one("camera usage text gone", "plist", "NSCameraUsageDescription must say why",
        INFO, "<key>NSCameraUsageDescription</key>", "<key>NSCameraUsage</key>"),
    one("Face ID usage text gone", "plist", "NSFaceIDUsageDescription must say why",
        INFO, "<key>NSFaceIDUsageDescription</key>", "<key>NSFaceIDUsage</key>"),
    one("NFC usage text in English", "plist", "NFCReaderUsageDescription must say why",
        INFO, "<string>患者さんのマイナンバーカード(マイナ保険証)を読み取り、本人確認と保険資格の確認に使います。個人番号は読み取りません。</string>",
        "<string>Reads the patient's card.</string>"),
    one("export compliance undecided", "plist", "ITSAppUsesNonExemptEncryption is not decided",
        INFO, "<key>ITSAppUsesNonExemptEncryption</key>", "<key>ITSAppUsesEncryption</key>"),
    # The privacy manifest.
    one("boot-time reason missing", "privacy", "SystemBootTime 35F9.1 is missing",
        PRIV, "<string>35F9.1</string>", "<string>8FFB.1</string>"),
    one("a reason of another category", "privacy", "is not one of",
        PRIV, "<string>C617.1</string>", "<string>35F9.1</string>"),
    one("user defaults not declared", "privacy", "the app reads UserDefaults",
        PRIV, "<string>NSPrivacyAccessedAPICategoryUserDefaults</string>", "<string>NSPrivacyAccessedAPICategoryActiveKeyboards</string>"),
    Plant("manifest gone", "plist", "missing", [(PRIV, "", None)]),
    # The Keychain and the log.
    one("Keychain class weakened", "keychain", "kSecAttrAccessibleAlways",
        KEYS, "= kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly", "= kSecAttrAccessibleAlways"),
    one("first-use race not handled", "keychain", "errSecDuplicateItem",
        KEYS, "case errSecDuplicateItem:\n            // Another first use won the race: its key is the store's.\n"
              "            if let winner = try read() { return winner }\n"
              '            throw KeyProviderFailure.Unavailable(reason: "SecItemAdd duplicate, then not found")\n', ""),
    one("core message logged public", "logging", "`message` is logged .public",
        LOG, "\\(message, privacy: .private)\")\n        case .warn", "\\(message, privacy: .public)\")\n        case .warn"),
    # Managed app configuration.
    one("MDM key misspelled in the example", "mdm", "keys ['keep_foto', 'keep_photo'] differ",
        MDMX, "<key>keep_photo</key>", "<key>keep_foto</key>"),
    one("MDM key not read", "mdm", "reads ['allow_pin'",
        MDM, 'flag("keep_photo")', 'flag("keep_photos")'),
    one("MDM sign_in value unknown", "mdm", "sign_in values",
        MDM, 'case "always"?:', 'case "allways"?:'),
]
