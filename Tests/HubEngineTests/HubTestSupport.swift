import BrokerClients
import BrokerCore
import BrokerHubTesting
import BrokerWire
import Foundation
import HubEngine
import Logging
import MockBroker
import Synchronization
import Testing

// MARK: - Waiting for asynchronous state (never a timed assertion)

/// Polls `condition` until it holds, yielding and briefly sleeping in between. Fails the test (by throwing)
/// when it never holds; the bound only stops a broken test from hanging, it is not a performance check.
func eventually(
    _ what: @autoclosure () -> String = "condition", maxPolls: Int = 20_000,
    _ condition: () async throws -> Bool, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    for poll in 0..<maxPolls {
        if try await condition() { return }
        if poll < 50 { await Task.yield() } else { try await Task.sleep(for: .microseconds(250)) }
    }
    Issue.record("never happened: \(what())", sourceLocation: sourceLocation)
    throw HubTestFailure.timedOut(what())
}

enum HubTestFailure: Error {
    case timedOut(String)
}

/// A thread-safe list tests append to from many tasks.
final class Collected<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])

    init() {}

    func append(_ item: Element) { items.withLock { $0.append(item) } }
    var all: [Element] { items.withLock { $0 } }
    var count: Int { items.withLock { $0.count } }
}

extension ManualClock {
    /// A clock at an instant whose `Double` representation is exact for sub-microsecond arithmetic
    /// (the reference date), so that advancing to a computed instant lands on it.
    static func exact() -> ManualClock { ManualClock(start: Date(timeIntervalSinceReferenceDate: 0)) }

    /// Advances to `instant` (not before it, at most a few nanoseconds after).
    func advance(to instant: Date) {
        let delta = instant.timeIntervalSince(now)
        guard delta > 0 else { return }
        advance(by: .nanoseconds(Int64((delta * 1e9).rounded(.up)) + 1))
    }
}

/// Wraps a `ManualClock` and remembers the instants its sleepers wait for, so a test can drive time
/// exactly from one wake-up to the next.
final class SteppedClock: HubClock {
    let base: ManualClock
    private let pending = Mutex<[UInt64: Date]>([:])
    private let counter = Atomic<UInt64>(0)

    init(base: ManualClock = .exact()) { self.base = base }

    var now: Date { base.now }
    var sleeperCount: Int { base.sleeperCount }
    /// The earliest instant a sleeper waits for.
    var nextWake: Date? { pending.withLock { $0.values.min() } }

    func sleep(until instant: Date) async throws {
        let id = counter.add(1, ordering: .relaxed).newValue
        pending.withLock { $0[id] = instant }
        defer { _ = pending.withLock { $0.removeValue(forKey: id) } }
        try await base.sleep(until: instant)
    }

    func advance(to instant: Date) { base.advance(to: instant) }
    func advance(by duration: Duration) { base.advance(by: duration) }
}

// MARK: - Log capture

/// Collects every rendered log line (message, metadata, error) for assertions. Pass a `Logger` made with
/// `Logger(label:factory:)` to the component under test; never bootstraps the global logging system.
struct CapturingLogHandler: LogHandler {
    final class Sink: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    let sink: Sink
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    var metadataProvider: Logger.MetadataProvider?

    init(sink: Sink) { self.sink = sink }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = "[\(event.level)] \(event.source) \(event.message)"
        for key in merged.keys.sorted() { line += " \(key)=\(merged[key]!)" }
        if let error = event.error { line += " error=\(error) \(String(reflecting: error))" }
        sink.append(line)
    }

    /// A trace-level logger writing into `sink`.
    static func logger(_ label: String, into sink: Sink) -> Logger {
        var logger = Logger(label: label) { _ in CapturingLogHandler(sink: sink) }
        logger.logLevel = .trace
        return logger
    }
}

// MARK: - Mock broker over real loopback HTTP

enum HubMock {
    static let seed: UInt64 = 4242

    static func configuration(_ change: (inout MockBrokerConfiguration) -> Void = { _ in }) -> MockBrokerConfiguration {
        MockBrokerHarness.configuration(seed: seed) { configuration in
            configuration.kisTokenIssueInterval = .milliseconds(200)
            change(&configuration)
        }
    }

    static func run<Result: Sendable>(
        _ configuration: MockBrokerConfiguration = configuration(),
        _ body: @Sendable (MockBroker, String) async throws -> Result
    ) async throws -> Result {
        try await MockBrokerHarness.run(configuration, logLevel: .error, body)
    }

    /// The mock's first (real-kind) key of `provider` as a client account.
    static func account(_ broker: MockBroker, _ provider: Provider, baseURL: String, index: Int = 0) -> BrokerAccount {
        MockBrokerHarness.accounts(broker, provider, base: baseURL, account: provider == .kis ? "50000000-01" : "default")[index]
    }

    private static func exchange(_ method: String, _ url: String, body: String? = nil) async throws -> JSONValue {
        let answer = try await HTTPTransport().perform(
            provider: .kis, method: method, url: url, headers: body == nil ? [] : [("content-type", "application/json")],
            body: body.map { Array($0.utf8) } ?? [], timeout: .seconds(10)
        )
        #expect(answer.status == 200, "\(method) \(url): HTTP \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
        return try #require(try? JSONParser.parse(answer.body))
    }

    /// `GET /_mock/stats` for one provider.
    static func stats(_ baseURL: String, _ provider: Provider) async throws -> MockStatsView {
        let root = try await exchange("GET", baseURL + "/_mock/stats")
        return MockStatsView(json: try #require(root[provider.rawValue]))
    }

    /// `POST /_mock/faults` with a JSON profile, e.g. `{"server_error_rate":1.0}`.
    static func setFaults(_ baseURL: String, _ json: String) async throws {
        _ = try await exchange("POST", baseURL + "/_mock/faults", body: json)
    }

    /// `POST /_mock/expire-tokens`; the number of tokens expired.
    @discardableResult
    static func expireTokens(_ baseURL: String, provider: Provider? = nil) async throws -> Int {
        let url = baseURL + "/_mock/expire-tokens" + (provider.map { "?provider=\($0.rawValue)" } ?? "")
        return try await exchange("POST", url)["expired"]?.intValue ?? -1
    }
}

/// One provider's section of `/_mock/stats`.
struct MockStatsView: Sendable {
    var json: JSONValue

    var tokensIssued: Int { json["tokens_issued"]?.intValue ?? -1 }
    var tokensReused: Int { json["tokens_reused"]?.intValue ?? -1 }
    var tokenIssueRejected: Int { json["token_issue_rejected"]?.intValue ?? -1 }
    var rateLimitViolations: Int { json["rate_limit_violations"]?.intValue ?? -1 }
    var requestsTotal: Int { json["requests_total"]?.intValue ?? -1 }
    func requests(_ name: String) -> Int { json["requests"]?[name]?.intValue ?? 0 }
    func faults(_ name: String) -> Int { json["faults_injected"]?[name]?.intValue ?? 0 }
    func errors(_ code: String) -> Int { json["errors"]?[code]?.intValue ?? 0 }
}

// MARK: - Engine assembly

/// A fresh temporary directory removed when the value is released.
final class TemporaryDirectory: Sendable {
    let url: URL

    init(_ label: String = "HubEngineTests") {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString.lowercased())", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

enum HubFixtures {
    /// A cipher with a fixed, test-only key.
    static func cipher(_ byte: UInt8 = 7) -> TokenCipher {
        try! TokenCipher(base64: Data(repeating: byte, count: 32).base64EncodedString())
    }

    static func clients() -> [any BrokerClient] { [KISClient(), KiwoomClient()] }

    /// A token manager policy that waits briefly (the mock's issuance interval is short in tests).
    static func tokenPolicy(tooFrequentWait: Duration = .milliseconds(300), retryDelay: Duration = .milliseconds(50)) -> TokenManager.Policy {
        var policy = TokenManager.Policy()
        policy.tooFrequentWait = tooFrequentWait
        policy.retryDelay = retryDelay
        return policy
    }

    static func task(_ request: BrokerRequest, account: BrokerAccount, maxPages: Int = 1, deadline: Date? = nil) -> HubTask {
        HubTask(provider: account.provider, account: account.identity, request: request, maxPages: maxPages, enqueuedAt: Date(), deadline: deadline)
    }

    static func kisQuote(_ symbol: String = "005930") throws -> BrokerRequest {
        try TransactionCatalog.request(provider: .kis, transaction: "FHKST01010100", parameters: ["FID_INPUT_ISCD": symbol])
    }

    static func kiwoomDaily(_ symbol: String = "005930", base: String = "20250905") throws -> BrokerRequest {
        try TransactionCatalog.request(provider: .kiwoom, transaction: "ka10081", parameters: ["stk_cd": symbol, "base_dt": base])
    }
}
