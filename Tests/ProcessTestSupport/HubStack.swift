import BrokerWire
import Foundation
import Testing

/// A mock broker process and hub processes serving it, as in production (separate processes, real HTTP).
/// One hub on its embedded store by default; several hubs share a Redis in distributed mode.
public struct HubStack: Sendable {
    public let mock: ServerProcess
    public let hubs: [ServerProcess]
    public let kisAppKey: String
    public let kisSecret: String
    public let environment: [String: String]

    /// KIS sends per second per real-account key that the mock enforces and the hub budgets by default
    /// (18 since KIS's 2026-04-20 change; `RateLimitPolicy.kisRealPerSecond`).
    public static let kisRealLimit = 18.0

    /// The first hub.
    public var hub: ServerProcess { hubs[0] }

    /// Starts the mock (`mockArguments` added) and `hubCount` hubs over it (`hubEnvironment` added; each hub
    /// has its own data directory `hub-N`).
    /// `configure`, when given, sees the mock's URL and its generated keys and returns more hub environment (a
    /// config file naming several accounts, the mock's WebSocket URL); `{mock-ws}` in a `hubEnvironment` value is
    /// the mock's `ws://` address.
    public static func start(
        mockArguments: [String] = [], hubEnvironment: [String: String] = [:], hubCount: Int = 1,
        configure: ((_ mockURL: String, _ keys: [JSONValue]) throws -> [String: String])? = nil
    ) async throws -> HubStack {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-stack-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let credentials = directory.appendingPathComponent("credentials.json")
        let mock = try await ServerProcess.start(
            ["mock-broker", "--port", "0", "--always-open", "--market-speed", "5", "--write-credentials", credentials.path] + mockArguments,
            directory: directory
        )
        let keys = try #require(try JSONParser.parse(Array(Data(contentsOf: credentials)))["keys"]?.arrayValue)
        let kis = try #require(keys.first { $0["provider"]?.stringValue == "kis" && $0["kind"]?.stringValue == "real" })
        let kiwoom = try #require(keys.first { $0["provider"]?.stringValue == "kiwoom" })
        var environment = [
            "BROKERHUB_KIS_APPKEY": kis["appKey"]!.text, "BROKERHUB_KIS_APPSECRET": kis["secret"]!.text,
            "BROKERHUB_KIS_BASE_URL": mock.url, "BROKERHUB_KIS_ACCOUNT": "50000000-01",
            "BROKERHUB_KIWOOM_APPKEY": kiwoom["appKey"]!.text, "BROKERHUB_KIWOOM_SECRETKEY": kiwoom["secret"]!.text,
            "BROKERHUB_KIWOOM_BASE_URL": mock.url,
        ]
        let mockWS = "ws" + mock.url.dropFirst(4)
        for (name, value) in hubEnvironment { environment[name] = value.replacingOccurrences(of: "{mock-ws}", with: mockWS) }
        if let configure { for (name, value) in try configure(mock.url, keys) { environment[name] = value } }
        var hubs: [ServerProcess] = []
        for index in 0..<max(1, hubCount) {
            hubs.append(try await startHub(index: index, environment: environment, directory: directory))
        }
        return HubStack(mock: mock, hubs: hubs, kisAppKey: kis["appKey"]!.text, kisSecret: kis["secret"]!.text, environment: environment)
    }

    private static func startHub(index: Int, environment: [String: String], directory: URL) async throws -> ServerProcess {
        let data = directory.appendingPathComponent(index == 0 ? "hub" : "hub-\(index)").path
        return try await ServerProcess.start(["serve", "--port", "0", "--data-dir", data], environment: environment, directory: directory)
    }

    /// Restarts hub `index` on its own store (after `stop()` or `kill()`).
    public func restartHub(_ index: Int = 0) async throws -> ServerProcess {
        try await Self.startHub(index: index, environment: environment, directory: mock.directory)
    }

    public func mockStats(_ provider: String = "kis") async throws -> JSONValue {
        try #require(try await Web.get(mock.url + "/_mock/stats").json?[provider])
    }

    /// Issue #12 item 2's check, for one hub or several: against a mock started with `--kis-rate brokerLimit`
    /// (below the hubs' 18/s), a learning period of `learning` seconds under load, then `measured` seconds
    /// that must see no refusal. Returns (refusals while learning, refusals after, share of the broker's
    /// limit used after, the learned limits each hub reports).
    public func learnBudget(brokerLimit: Int, learning: Double, measured: Double) async throws -> (learningRefusals: Int, refusals: Int, utilisation: Double, limits: [Int]) {
        _ = try await saturate(seconds: learning)
        let before = try await mockStats()["rate_limit_violations"]?.intValue ?? 0
        let (failures, sent, elapsed) = try await saturate(seconds: measured)
        let after = try await mockStats()["rate_limit_violations"]?.intValue ?? 0
        #expect(failures.isEmpty, "\(failures.count) failures after learning, e.g. \(failures.prefix(3))")
        var limits: [Int] = []
        for hub in hubs {
            let providers = try await Web.get(hub.url + "/v1/status").json?["providers"]?.arrayValue ?? []
            limits.append(providers.first { $0["provider"]?.stringValue == "kis" }?["budget_limit"]?.intValue ?? -1)
        }
        return (before, after - before, Double(sent) / (Double(brokerLimit) * elapsed), limits)
    }

    public func setFaults(_ json: String) async throws {
        let answer = try await Web.post(mock.url + "/_mock/faults", json)
        #expect(answer.status == 200, "\(answer.text)")
    }

    /// Stops every hub, then the mock (SIGTERM, SIGKILL past the deadline; see `ServerProcess.stop`).
    public func stop() async {
        for hub in hubs { await hub.stop() }
        await mock.stop()
    }

    /// Starts a stack, runs `body` with it and always stops it.
    public static func with<T>(
        mockArguments: [String] = [], hubEnvironment: [String: String] = [:], hubCount: Int = 1,
        configure: ((_ mockURL: String, _ keys: [JSONValue]) throws -> [String: String])? = nil, _ body: (HubStack) async throws -> T
    ) async throws -> T {
        let stack = try await start(mockArguments: mockArguments, hubEnvironment: hubEnvironment, hubCount: hubCount, configure: configure)
        return try await withCleanup({ await stack.stop() }) { try await body(stack) }
    }

    public static func quote(_ symbol: String = "005930") -> String {
        #"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"\#(symbol)"}}"#
    }
}

extension HubStack {
    /// One quote through the first hub: the day's token is issued.
    private func warmUp() async throws {
        let answer = try await Web.post(hub.url + "/v1/execute", HubStack.quote())
        #expect(answer.status == 200, "warm-up: \(answer.status) \(answer.text.prefix(200))")
    }

    /// 16 callers (spread over every hub) send KIS quotes back to back for `seconds`; returns the failures
    /// and the KIS quote sends the mock counted meanwhile, with the elapsed time.
    /// One quote goes first, so that the day's token is issued before the clock starts (a once-a-day cost,
    /// not a loss of budget).
    public func saturate(seconds: Double, callers: Int = 16) async throws -> (failures: [String], sends: Int, elapsed: Double) {
        try await warmUp()
        let before = try await mockStats()["requests"]?["FHKST01010100"]?.intValue ?? 0
        let started = Date()
        let failures = Collected()
        await withTaskGroup(of: Void.self) { group in
            for caller in 0..<callers {
                group.addTask {
                    let hub = hubs[caller % hubs.count]
                    var index = caller
                    while Date().timeIntervalSince(started) < seconds {
                        index += callers
                        let symbol = ["005930", "000660", "035420", "005380", "035720", "051910"][index % 6]
                        do {
                            let answer = try await Web.post(hub.url + "/v1/execute", HubStack.quote(symbol))
                            if answer.status != 200 { failures.add("\(answer.status) \(answer.text.prefix(200))") }
                        } catch {
                            failures.add("\(error)")
                        }
                    }
                }
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        let sends = (try await mockStats()["requests"]?["FHKST01010100"]?.intValue ?? 0) - before
        return (failures.all, sends, elapsed)
    }
}
