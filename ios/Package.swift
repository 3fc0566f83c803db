// swift-tools-version: 5.9
// The Houmon core for iOS as a Swift package:
//  - HoumonCoreFFI: the Rust core as an XCFramework (ios/build-xcframework.sh
//    builds it on a Mac into ios/HoumonCoreFFI.xcframework; a release sets
//    HOUMON_CORE_URL and HOUMON_CORE_CHECKSUM to a published zip instead);
//  - HoumonCore: the generated Swift bindings (committed; CI checks they
//    are exactly what the in-repo uniffi-bindgen generates);
//  - HoumonAppLogic: the screen models (the core decides, the app draws);
//  - HoumonNFC: the CoreNFC transport and NFC sheet.
import Foundation
import PackageDescription

let environment = ProcessInfo.processInfo.environment
let coreFFI: Target
if let url = environment["HOUMON_CORE_URL"], let checksum = environment["HOUMON_CORE_CHECKSUM"] {
    coreFFI = .binaryTarget(name: "HoumonCoreFFI", url: url, checksum: checksum)
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
        .target(name: "HoumonCore", dependencies: ["HoumonCoreFFI"], path: "Sources/HoumonCore"),
        .target(name: "HoumonAppLogic", dependencies: ["HoumonCore"], path: "Sources/HoumonAppLogic"),
        .target(name: "HoumonNFC", dependencies: ["HoumonCore", "HoumonAppLogic"], path: "Sources/HoumonNFC"),
    ]
)
