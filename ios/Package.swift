// swift-tools-version: 5.10
// The Houmon core for iOS as a Swift package. Swift 5.10 (Xcode 15.3 or
// later; Xcode 16 is what the project is written for): the generated
// bindings use `nonisolated(unsafe)`.
//  - HoumonCoreFFI: the Rust core as an XCFramework: a local build
//    (`ios/build-xcframework.sh` makes ios/HoumonCoreFFI.xcframework) when
//    there is one, otherwise the release recorded below;
//  - HoumonCore: the generated Swift bindings (committed; CI checks they
//    are exactly what the in-repo uniffi-bindgen generates);
//  - HoumonAppLogic: one ObservableObject holding the app's AppCore;
//  - HoumonNFC: the CoreNFC transport and NFC sheet.
import Foundation
import PackageDescription

// BEGIN core release: written by `ios/build-xcframework.sh --release URL`
// (the zip's URL, SwiftPM's checksum of it, and the SHA-256 of the
// HoumonCore.swift it was built with; nil until the first release).
let coreRelease: (url: String, checksum: String, bindings: String)? = nil
// END core release

let localCore = Context.packageDirectory + "/HoumonCoreFFI.xcframework"
let coreFFI: Target
if let release = coreRelease, !FileManager.default.fileExists(atPath: localCore) {
    coreFFI = .binaryTarget(name: "HoumonCoreFFI", url: release.url, checksum: release.checksum)
} else {
    coreFFI = .binaryTarget(name: "HoumonCoreFFI", path: "HoumonCoreFFI.xcframework")
}

let package = Package(
    name: "Houmon",
    defaultLocalization: "ja",
    platforms: [.iOS(.v16)],
    products: [
        .library(name: "HoumonCore", targets: ["HoumonCore"]),
        .library(name: "HoumonAppLogic", targets: ["HoumonAppLogic"]),
        .library(name: "HoumonNFC", targets: ["HoumonNFC"]),
    ],
    targets: [
        coreFFI,
        .target(
            name: "HoumonCore",
            dependencies: ["HoumonCoreFFI"],
            path: "Sources/HoumonCore",
            // The core's randomness (getrandom, ring) is SecRandomCopyBytes.
            linkerSettings: [.linkedFramework("Security")]
        ),
        .target(name: "HoumonAppLogic", dependencies: ["HoumonCore"], path: "Sources/HoumonAppLogic"),
        .target(name: "HoumonNFC", dependencies: ["HoumonCore"], path: "Sources/HoumonNFC"),
    ]
)
