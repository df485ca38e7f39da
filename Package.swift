// swift-tools-version: 6.1
import PackageDescription

/// BrokerHub: one gateway for KIS and Kiwoom REST calls and one real-time pipeline into storage.
///
/// Layers (lower never imports higher):
/// - `BrokerCore`: pure domain — models, fixed-point values, KST time, error taxonomy, KRX calendar.
/// - `BrokerWire`: pure wire formats — JSON, KIS/Kiwoom REST normalisation, realtime frame parsers.
/// - `brokerhub`: the command-line tool.
let package = Package(
    name: "BrokerHub",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "brokerhub", targets: ["brokerhub"]),
        .library(name: "BrokerCore", targets: ["BrokerCore"]),
        .library(name: "BrokerWire", targets: ["BrokerWire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "BrokerCore"),
        .target(name: "BrokerWire", dependencies: ["BrokerCore"]),
        .executableTarget(
            name: "brokerhub",
            dependencies: [
                "BrokerCore",
                "BrokerWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "BrokerCoreTests", dependencies: ["BrokerCore"]),
        .testTarget(
            name: "BrokerWireTests",
            dependencies: ["BrokerCore", "BrokerWire"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "BrokerHubCLITests", dependencies: ["brokerhub"]),
    ]
)
