// swift-tools-version: 6.1
import PackageDescription

/// BrokerHub: one gateway for KIS and Kiwoom REST calls and one real-time pipeline into storage.
///
/// Layers (lower never imports higher):
/// - `BrokerCore`: pure domain — models, fixed-point values, KST time, error taxonomy, KRX calendar.
/// - `BrokerWire`: pure wire formats — JSON, KIS/Kiwoom REST normalisation, realtime frame parsers.
/// - `MockMarket`: pure, seeded market simulation (trades, candles, quotes) for the mock broker.
/// - `MockBroker`: a faithful KIS + Kiwoom REST/WebSocket server over the simulated market.
/// - `BrokerClients`: KIS and Kiwoom REST clients (AsyncHTTPClient) and the transaction catalogue.
/// - `HubEngine`: the gateway — tokens, rate limiter, durable queue, breaker, retries, dispatch.
/// - `RedisWire`: pure RESP2/RESP3 codec (no I/O).
/// - `RedisClient`: SwiftNIO Redis connections, pool, scripts, Pub/Sub and streams; Redis Cluster routing.
/// - `HubRedis`: distributed mode — Redis token store, rate limiter and task queue.
/// - `Realtime`: realtime events, the bus protocol and its embedded and Redis implementations.
/// - `Collector`: KIS/Kiwoom WebSocket collector (subscriptions, watchdog, raw-frame log).
/// - `RealtimeGateway`: broker-native WebSocket clients sharing the collector's broker sessions (fan-out).
/// - `Archiver`: bus → PostgreSQL/SQLite archiver, spool and ledger.
/// - `Snapshots`: scheduled observation snapshots through the hub into a rolling JSONL archive (`CZlib`: gzip).
/// - `History`: the loss loop through the hub — history collection, verification, backfill and automatic recovery.
/// - `HubServer`: configuration, the composition root and the HTTP API (Hummingbird).
/// - `brokerhub`: the command-line tool.
let package = Package(
    name: "BrokerHub",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "brokerhub", targets: ["brokerhub"]),
        .executable(name: "brokerhub-fuzz", targets: ["brokerhub-fuzz"]),
        .library(name: "BrokerCore", targets: ["BrokerCore"]),
        .library(name: "BrokerWire", targets: ["BrokerWire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.22.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.20.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.25.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.25.0"),
    ],
    targets: [
        .target(name: "BrokerCore"),
        .target(
            name: "BrokerWire",
            dependencies: [
                "BrokerCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "MockMarket", dependencies: ["BrokerCore"]),
        .target(
            name: "BrokerClients",
            dependencies: ["BrokerCore", "BrokerWire", .product(name: "AsyncHTTPClient", package: "async-http-client")]
        ),
        .target(
            name: "HubEngine",
            dependencies: [
                "BrokerCore", "BrokerWire", "BrokerClients",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "MockBroker",
            dependencies: [
                "BrokerCore", "BrokerWire", "MockMarket",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "RedisWire", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        .target(
            name: "RedisClient",
            dependencies: [
                "RedisWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "HubRedis",
            dependencies: [
                "BrokerCore", "BrokerClients", "HubEngine", "RedisClient", "RedisWire",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "Realtime",
            dependencies: [
                "BrokerCore", "BrokerWire", "RedisClient", "RedisWire",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Collector",
            dependencies: [
                "BrokerCore", "BrokerWire", "BrokerClients", "Realtime", "RedisClient",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "RealtimeGateway",
            dependencies: [
                "BrokerCore", "BrokerWire", "Collector", "Realtime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Archiver",
            dependencies: [
                "BrokerCore", "BrokerWire", "Realtime",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Alerts",
            dependencies: [
                "BrokerCore", "BrokerWire", "Realtime",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // zlib from the system (Debian: zlib1g-dev), for gzip-compressing rolled snapshot files.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "Snapshots",
            dependencies: [
                "BrokerCore", "BrokerWire", "HubEngine", "CZlib",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The loss loop through the hub: history (candles, resumable by checkpoint), verification of the archived trades
        // against the broker's minute candles, backfill of what is missing, automatic recovery after alerts.
        .target(
            name: "History",
            dependencies: [
                "Archiver", "BrokerCore", "BrokerWire", "BrokerClients", "HubEngine", "Realtime",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "HubServer",
            dependencies: [
                "Alerts", "Archiver", "BrokerCore", "BrokerWire", "BrokerClients", "HubEngine", "HubRedis", "RedisClient", "Realtime", "Collector",
                "RealtimeGateway", "Snapshots",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "brokerhub",
            dependencies: [
                "BrokerCore",
                "BrokerWire",
                "MockBroker",
                "HubServer",
                "HubEngine",
                "HubRedis",
                "RedisClient",
                "BrokerClients",
                "Realtime",
                "Collector",
                "Archiver",
                "Alerts",
                "Snapshots",
                "History",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Coverage-guided fuzz targets over the pure parsers (scripts/fuzz.sh builds them with -sanitize=fuzzer;
        // a plain build replays a corpus: `brokerhub-fuzz replay TARGET DIR`).
        .target(
            name: "BrokerHubFuzzTargets",
            dependencies: ["BrokerCore", "BrokerWire", "RedisWire", .product(name: "NIOCore", package: "swift-nio")],
            path: "Fuzz/Targets"
        ),
        .executableTarget(name: "brokerhub-fuzz", dependencies: ["BrokerHubFuzzTargets"], path: "Fuzz/Main"),
        .testTarget(name: "BrokerCoreTests", dependencies: ["BrokerCore"]),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["BrokerHubFuzzTargets"]),
        .testTarget(
            name: "BrokerWireTests",
            dependencies: ["BrokerCore", "BrokerWire"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "MockMarketTests", dependencies: ["BrokerCore", "MockMarket"]),
        .testTarget(name: "RealtimeGatewayTests", dependencies: ["BrokerCore", "BrokerWire", "Collector", "Realtime", "RealtimeGateway"]),
        .testTarget(
            name: "MockBrokerTests",
            dependencies: [
                "BrokerCore", "BrokerHubTesting", "BrokerWire", "MockMarket", "MockBroker",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "HubEngineTests",
            dependencies: [
                "BrokerCore", "BrokerHubTesting", "BrokerWire", "BrokerClients", "HubEngine", "MockBroker",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // Shared test support for in-process suites: the manual clock and the mock-broker harness.
        .target(
            name: "BrokerHubTesting",
            dependencies: ["BrokerCore", "BrokerClients", "MockBroker", "Realtime", .product(name: "Logging", package: "swift-log")],
            path: "Tests/BrokerHubTesting"
        ),
        // Runs `brokerhub` subcommands as real processes and talks HTTP to them (end-to-end test suites); a local webhook.
        .target(
            name: "ProcessTestSupport",
            dependencies: [
                "BrokerWire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/ProcessTestSupport"
        ),
        .testTarget(
            name: "HubServerTests",
            dependencies: [
                "Archiver", "BrokerCore", "BrokerHubTesting", "BrokerWire", "BrokerClients", "HubEngine", "HubServer", "MockBroker",
                "ProcessTestSupport", "Realtime",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Several hub processes on one real Redis (BROKERHUB_TEST_REDIS_URL): one token, one budget, one queue.
        .testTarget(
            name: "DistributedTests",
            dependencies: ["BrokerWire", "ProcessTestSupport"]
        ),
        // The realtime pipeline as real processes (mock broker, collector, archiver) on real Redis + PostgreSQL.
        .testTarget(
            name: "PipelineReliabilityTests",
            dependencies: ["BrokerWire", "ProcessTestSupport", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "BrokerHubCLITests", dependencies: ["brokerhub", "ProcessTestSupport"]),
        .testTarget(name: "RedisWireTests", dependencies: ["RedisWire", .product(name: "NIOCore", package: "swift-nio")]),
        // Needs the real redis-server that scripts/test.sh starts (BROKERHUB_TEST_REDIS_URL).
        .testTarget(
            name: "RedisIntegrationTests",
            dependencies: ["RedisClient", "RedisWire", "ProcessTestSupport", .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log")]
        ),
        // One behavioural suite per hub protocol, run against every implementation: embedded always,
        // Redis against the real redis-server that scripts/test.sh starts.
        .testTarget(
            name: "BackendBehaviourTests",
            dependencies: [
                "BrokerCore", "BrokerHubTesting", "BrokerClients", "HubEngine", "HubRedis", "RedisClient", "MockBroker",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The alert policy (pure), the deliverers against a local webhook receiver, the service on a journal bus.
        .testTarget(
            name: "AlertsTests",
            dependencies: [
                "Alerts", "BrokerCore", "BrokerHubTesting", "ProcessTestSupport", "Realtime",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CollectorTests",
            dependencies: [
                "BrokerCore", "BrokerHubTesting", "BrokerWire", "BrokerClients", "HubEngine", "HubServer", "Realtime", "Collector", "MockBroker",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The snapshot collector: pure stages and schedule, the JSONL archive on disk, cycles through a real hub
        // against the mock over HTTP.
        .testTarget(
            name: "SnapshotsTests",
            dependencies: [
                "BrokerCore", "BrokerHubTesting", "BrokerWire", "BrokerClients", "HubEngine", "HubServer", "MockBroker", "Snapshots",
                "ProcessTestSupport", "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The loss loop: plans and verification (pure), history/verify/backfill/recover as processes against the mock.
        .testTarget(
            name: "HistoryTests",
            dependencies: [
                "Archiver", "BrokerCore", "BrokerHubTesting", "BrokerWire", "BrokerClients", "History", "HubEngine", "HubServer", "MockBroker",
                "ProcessTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Bus and archiver against real SQLite, PostgreSQL and Redis (BROKERHUB_TEST_POSTGRES_URL/REDIS_URL).
        .testTarget(
            name: "PipelineTests",
            dependencies: [
                "BrokerCore", "BrokerHubTesting", "BrokerWire", "Realtime", "Archiver", "RedisClient", "ProcessTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
