import Alerts
import BrokerClients
import BrokerCore
import BrokerWire
import Foundation
import HubEngine
import RealtimeGateway
import RedisClient
import Snapshots

/// Everything `brokerhub serve` (and the demo) can be told, read in one place: defaults, then a JSON
/// config file, then the environment, then command-line flags. Secrets come from the environment or a
/// secrets file, never from code. See docs/configuration.md for every key.
public struct HubConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Where the embedded store lives (`brokerhub.sqlite`, `token.key`).
    public var dataDirectory = "./var/brokerhub"
    /// Keep everything in memory (tests, throwaway runs).
    public var inMemory = false
    /// Accepted caller API keys; empty means no key needed (allowed only on a loopback address).
    public var apiKeys: [String] = []
    /// Connections, idle time and header size every client is held to.
    public var httpLimits = HTTPServerLimits()
    /// Host names (no port) accepted in `Host` and `Origin` besides the loopback ones; `*` accepts any.
    public var allowedHosts: [String] = []
    public var workers = 16
    /// Queued tasks above this are refused with 429.
    public var queueLimit = 10_000
    public var limits = RateLimitPolicy()
    /// Lowering a budget the broker refuses at, and creeping back up (`LearnedBudget.Policy`).
    public var learning = LearnedBudget.Policy()
    public var retry = RetryPolicy()
    public var breaker = CircuitBreaker.Policy()
    public var brokerTimeout: Duration = .seconds(10)
    public var resultRetention: Duration = .seconds(3600)
    /// How long a worker holds a task before another may take it over (crash recovery).
    public var leaseDuration: Duration = .seconds(60)
    /// SIGTERM: how long the drain (workers finishing the task in hand) may take before the hub cancels it;
    /// a part that ignores cancellation for 5 s more ends the process (`ServiceGroup` escalation).
    public var drainDuration: Duration = .seconds(15)
    /// Token issuance rules (refresh ahead, retries, EGW00133 wait, approval keys at most 1 per second).
    public var tokens = TokenManager.Policy()
    /// Whether the proxy's `/oauth2/Approval` hands callers the real KIS approval key (off: it opens the key's
    /// only realtime session, so a caller could knock the collector off).
    public var proxyApprovalKeys = false
    /// Whether the proxy sends KIS cash orders (`OrderCatalog`), each at most once; off: refused with 403.
    public var proxyOrders = false
    public var shareBackfill = 0.05
    public var shareSnapshot = 0.10
    public var accounts: [BrokerAccount] = []
    /// Distributed mode: token store and task queue on this Redis (`redis://[:password@]host:port/db`);
    /// nil keeps everything in the embedded store.
    public var redisURL: String?
    /// The rate limiter's Redis (the "gatekeeper"): another database or server; defaults to `redisURL`.
    public var gatekeeperURL: String?
    /// Prefix of every key the hub writes to Redis, so several deployments can share one server.
    public var redisPrefix = "bh"
    /// The AES-256-GCM key for tokens at rest (base64 of 32 bytes, `BROKERHUB_TOKEN_KEY`). Embedded mode
    /// generates one into the data directory when unset; distributed mode requires it (the same on every hub).
    public var tokenKey: String?

    /// Alerts of the hub's own state (breaker open, budget lowered, queue near full, token expired) to a webhook
    /// and/or a JSON-lines log file; none configured: no alerts service.
    public var alertWebhookURL: String?
    public var alertWebhookFormat: WebhookAlertSink.Format = .slack
    public var alertLogFile: String?
    /// How often the hub's state is looked at for alerts.
    public var alertCheckInterval: Duration = .seconds(10)
    /// The pipeline's bus (`journal:PATH` or `redis://…`, BROKERHUB_BUS; BROKERHUB_ALERT_BUS is its older name):
    /// `/v1/stream` serves its live records and, with alerts on, its `system` channel reaches a person through
    /// `serve` alone (no `brokerhub alerts` beside it). Nil: no stream, the hub's own alerts only.
    public var bus: String?
    /// The archive the pipeline stores into (`sqlite:PATH` or `postgres://…`, BROKERHUB_ARCHIVE): with `bus`, the hub
    /// reads the ledger (published against stored per provider and channel) every `ledgerInterval` for its status
    /// and dashboard.
    public var archive: String?
    public var ledgerInterval: Duration = .seconds(5)
    /// How often a quiet `/v1/stream` gets a keep-alive comment.
    public var streamHeartbeat: Duration = .seconds(15)
    /// The realtime gateway (BROKERHUB_GATEWAY `kis`, `kiwoom`, `kis,kiwoom` or `all`): broker-native WebSocket clients of
    /// these providers share the hub's broker sessions, one per app key. Empty: no gateway.
    public var gateway: Set<Provider> = []
    /// How the gateway treats its clients (queue, drops, heartbeat, request rate).
    public var gatewaySettings = GatewayConfiguration()
    /// Registrations one broker session of the gateway carries (BROKERHUB_GATEWAY_CAPACITY; KIS's cap is 41).
    public var gatewayCapacity = 41
    /// The control channel (BROKERHUB_CONTROL_URL, a `redis://` URL): the gateway's collector performs the signed
    /// operator commands published there (`brokerhub control`); needs `controlKey`.
    public var controlURL: String?
    /// The key commands are signed with (BROKERHUB_CONTROL_KEY): a secret, never logged.
    public var controlKey: String?
    /// The brokers' WebSocket endpoints the gateway's sessions connect to (BROKERHUB_KIS_WS_URL,
    /// BROKERHUB_KIWOOM_WS_URL); nil: the broker's real or paper endpoint, by account.
    public var webSocketURLs: [Provider: String] = [:]

    /// A snapshot schedule run inside the hub (BROKERHUB_SNAPSHOT_MODE swing or scalp); nil: none.
    public var snapshotMode: ObservationSnapshot.Mode?
    public var snapshotProvider: Provider = .kis
    public var snapshotSymbols: [String] = []
    /// The archive directory; default `<data dir>/snapshots`.
    public var snapshotDirectory: String?
    /// Seconds between cycles; default swing 150, scalp 1.
    public var snapshotInterval: Duration?
    public var snapshotHours: SnapshotHours = .regular
    public var snapshotRollBytes = 64 << 20
    public var snapshotGzip = false
    public var snapshotRetentionDays: Int?

    public init() {}

    /// The snapshot schedule `serve` runs through its own front door, when one is configured.
    public var snapshot: SnapshotConfiguration? {
        guard let mode = snapshotMode else { return nil }
        var snapshot = SnapshotConfiguration(mode: mode, provider: snapshotProvider, symbols: snapshotSymbols, directory: snapshotDirectory ?? dataDirectory + "/snapshots")
        if let snapshotInterval { snapshot.interval = snapshotInterval }
        snapshot.hours = snapshotHours
        snapshot.archive.maxFileBytes = snapshotRollBytes
        snapshot.archive.compressAfterRoll = snapshotGzip
        snapshot.archive.retentionDays = snapshotRetentionDays
        return snapshot
    }

    /// The calls per second a snapshot schedule of `provider` is measured against: KIS's real-account limit,
    /// Kiwoom's per-api-id limit (ka10001).
    public var snapshotBudget: Double { SnapshotPlan.budgetPerSecond(snapshotProvider, limits: limits) }

    /// Whether the hub runs its alerts service (a sink is configured).
    public var alertsEnabled: Bool { alertWebhookURL != nil || alertLogFile != nil }

    /// Whether the hub runs in distributed mode (Redis backends).
    public var isDistributed: Bool { redisURL != nil }

    public static let realBaseURLs: [Provider: (real: String, paper: String)] = [
        .kis: ("https://openapi.koreainvestment.com:9443", "https://openapivts.koreainvestment.com:29443"),
        .kiwoom: ("https://api.kiwoom.com", "https://mockapi.kiwoom.com"),
    ]

    /// Loads the configuration: `file` (JSON) if given, then `environment` over it.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment, file: String? = nil) throws -> HubConfiguration {
        var configuration = HubConfiguration()
        if let file = file ?? environment["BROKERHUB_CONFIG"] {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw BrokerHubError(.invalidConfiguration, "cannot read the config file \(file)")
            }
            let json: JSONValue
            do { json = try JSONParser.parse(Array(data)) } catch {
                throw BrokerHubError(.invalidConfiguration, "config file \(file): not JSON: \(error)")
            }
            try configuration.apply(json: json, source: file)
        }
        var env: [String: JSONValue] = [:]
        for (name, value) in environment where name.hasPrefix("BROKERHUB_") {
            env[String(name.dropFirst("BROKERHUB_".count)).lowercased()] = .string(value)
        }
        try configuration.apply(json: .object(env), source: "environment")
        if let secrets = environment["BROKERHUB_SECRETS_FILE"] {
            guard let data = FileManager.default.contents(atPath: secrets) else {
                throw BrokerHubError(.invalidConfiguration, "cannot read the secrets file \(secrets)")
            }
            do { try configuration.apply(json: try JSONParser.parse(Array(data)), source: secrets) } catch let error as JSONParser.Failure {
                throw BrokerHubError(.invalidConfiguration, "secrets file \(secrets): not JSON: \(error)")
            }
        }
        return configuration
    }

    /// Applies snake_case keys from a config file or `BROKERHUB_*` variables (lower-cased, prefix removed).
    mutating func apply(json: JSONValue, source: String) throws {
        guard let values = json.objectValue else { throw BrokerHubError(.invalidConfiguration, "\(source): expected a JSON object") }
        func int(_ key: String) throws -> Int? {
            guard let value = values[key] else { return nil }
            guard let number = value.intValue else { throw BrokerHubError(.invalidConfiguration, "\(source): \(key) must be a whole number, got \(value.text)") }
            return number
        }
        func flag(_ key: String) throws -> Bool? {
            guard let value = values[key]?.text else { return nil }
            switch value.lowercased() {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw BrokerHubError(.invalidConfiguration, "\(source): \(key) must be true or false, got \(value)")
            }
        }
        func double(_ key: String) throws -> Double? {
            guard let value = values[key] else { return nil }
            guard let number = Double(value.text) else { throw BrokerHubError(.invalidConfiguration, "\(source): \(key) must be a number, got \(value.text)") }
            return number
        }
        if let host = values["host"]?.text { self.host = host }
        if let port = try int("port") { self.port = port }
        if let directory = values["data_dir"]?.text { dataDirectory = directory }
        if let flag = values["in_memory"]?.text { inMemory = ["1", "true", "yes"].contains(flag.lowercased()) }
        if let keys = values["api_keys"] {
            apiKeys = keys.arrayValue?.map(\.text) ?? keys.text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let hosts = values["allowed_hosts"] {
            allowedHosts = hosts.arrayValue?.map(\.text) ?? hosts.text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let limit = try int("max_connections") { httpLimits.maxConnections = max(1, limit) }
        if let seconds = try double("idle_timeout_seconds") { httpLimits.idleTimeout = .milliseconds(Int64(max(0.1, min(seconds, 86_400)) * 1000)) }
        if let bytes = try int("max_header_bytes") { httpLimits.maxHeaderBytes = max(1_024, bytes) }
        if let seconds = try double("request_timeout_seconds") { httpLimits.requestTimeout = .milliseconds(Int64(max(0.1, min(seconds, 3_600)) * 1000)) }
        if let workers = try int("workers") { self.workers = max(1, workers) }
        if let limit = try int("queue_limit") { queueLimit = max(1, limit) }
        if let rate = try int("kis_rate") { limits.kisRealPerSecond = rate }
        if let rate = try int("kis_paper_rate") { limits.kisPaperPerSecond = rate }
        if let rate = try int("kis_per_minute") { limits.kisPerMinute = rate }
        if let rate = try int("kiwoom_rate") { limits.kiwoomTotalPerSecond = rate }
        if let rate = try int("kiwoom_api_rate") { limits.kiwoomPerTransactionPerSecond = rate }
        if let jitter = try int("jitter_ms") { limits.jitterAllowance = .milliseconds(jitter) }
        if let enabled = try flag("learn_budgets") { learning.enabled = enabled }
        if let factor = try double("learn_decrease") {
            guard factor > 0, factor < 1 else { throw BrokerHubError(.invalidConfiguration, "\(source): learn_decrease must be between 0 and 1, got \(factor)") }
            learning.decrease = factor
        }
        if let seconds = try double("learn_clean_seconds") { learning.cleanPeriod = .milliseconds(Int64(max(1, seconds) * 1000)) }
        if let seconds = try double("learn_ceiling_seconds") { learning.ceilingMemory = .milliseconds(Int64(max(0, seconds) * 1000)) }
        if let smoothing = try double("smoothing") { limits.smoothing = max(0, min(1, smoothing)) }
        if let timeout = try int("timeout_ms") { brokerTimeout = .milliseconds(timeout) }
        if let attempts = try int("retry_attempts") { retry.maxAttempts = max(1, attempts) }
        if let threshold = try int("breaker_failures") { breaker.failureThreshold = max(1, threshold) }
        if let open = try double("breaker_open_seconds") { breaker.openDuration = .milliseconds(Int64(open * 1000)) }
        if let retention = try int("result_retention_seconds") { resultRetention = .seconds(retention) }
        if let lease = try double("lease_seconds") { leaseDuration = .milliseconds(Int64(max(0.5, lease) * 1000)) }
        if let drain = try double("drain_seconds") { drainDuration = .milliseconds(Int64(max(0.1, drain) * 1000)) }
        if let interval = try double("approval_interval_seconds") { tokens.approvalIssueInterval = .milliseconds(Int64(max(0, interval) * 1000)) }
        if let enabled = try flag("proxy_orders") { proxyOrders = enabled }
        if let enabled = try flag("proxy_approval_keys") { proxyApprovalKeys = enabled }
        if let share = try double("share_backfill") { shareBackfill = share }
        if let share = try double("share_snapshot") { shareSnapshot = share }
        if let url = values["redis_url"]?.text { redisURL = url.isEmpty ? nil : url }
        if let url = values["redis_gatekeeper_url"]?.text { gatekeeperURL = url.isEmpty ? nil : url }
        if let prefix = values["redis_prefix"]?.text, !prefix.isEmpty { redisPrefix = prefix }
        if let key = values["token_key"]?.text, !key.isEmpty { tokenKey = key }
        if let url = values["alert_webhook_url"]?.text {
            guard url.isEmpty || url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw BrokerHubError(.invalidConfiguration, "\(source): alert_webhook_url must be an http(s) URL")
            }
            alertWebhookURL = url.isEmpty ? nil : url
        }
        if let format = values["alert_webhook_format"]?.text {
            guard let parsed = WebhookAlertSink.Format(rawValue: format) else {
                throw BrokerHubError(.invalidConfiguration, "\(source): alert_webhook_format must be slack or json, got \(format)")
            }
            alertWebhookFormat = parsed
        }
        if let path = values["alert_log_file"]?.text { alertLogFile = path.isEmpty ? nil : path }
        if let bus = (values["bus"] ?? values["alert_bus"])?.text { self.bus = bus.isEmpty ? nil : bus }
        if let archive = values["archive"]?.text { self.archive = archive.isEmpty ? nil : archive }
        if let seconds = try double("ledger_seconds") { ledgerInterval = .milliseconds(Int64(max(0.1, min(seconds, 3_600)) * 1000)) }
        if let seconds = try double("stream_heartbeat_seconds") { streamHeartbeat = .milliseconds(Int64(max(0.1, min(seconds, 3_600)) * 1000)) }
        if let list = values["gateway"]?.text {
            gateway = []
            for name in list.lowercased().split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
                switch name {
                case "all", "true", "on": gateway = Set(Provider.allCases)
                case "none", "false", "off": gateway = []
                default:
                    guard let provider = Provider(rawValue: name) else {
                        throw BrokerHubError(.invalidConfiguration, "\(source): gateway takes kis, kiwoom, all or none, got \(name)")
                    }
                    gateway.insert(provider)
                }
            }
        }
        if let size = try int("gateway_client_queue") { gatewaySettings.clientQueue = max(16, size) }
        if let drops = try int("gateway_max_drops") { gatewaySettings.maxDrops = max(0, drops) }
        if let seconds = try double("gateway_heartbeat_seconds") { gatewaySettings.heartbeat = .milliseconds(Int64(max(0.1, min(seconds, 3_600)) * 1000)) }
        if let rate = try int("gateway_requests_per_second") { gatewaySettings.requestsPerSecond = max(1, rate) }
        if let capacity = try int("gateway_capacity") { gatewayCapacity = max(1, capacity) }
        if let url = values["control_url"]?.text { controlURL = url.isEmpty ? nil : url }
        if let key = values["control_key"]?.text { controlKey = key.isEmpty ? nil : key }
        for provider in Provider.allCases {
            if let url = values[provider.rawValue + "_ws_url"]?.text { webSocketURLs[provider] = url.isEmpty ? nil : url }
        }
        if let seconds = try double("alert_check_seconds") { alertCheckInterval = .milliseconds(Int64(max(0.1, min(seconds, 3_600)) * 1000)) }
        try applySnapshot(values, source: source, double: double, flag: flag, int: int)
        if let list = values["accounts"]?.arrayValue {
            accounts = try list.map { try Self.account($0, source: source) }
        }
        for provider in Provider.allCases {
            let prefix = provider.rawValue + "_"
            guard let appKey = values[prefix + "appkey"]?.text, !appKey.isEmpty else { continue }
            let secret = values[prefix + "appsecret"]?.text ?? values[prefix + "secretkey"]?.text ?? values[prefix + "secret"]?.text
            guard let secret, !secret.isEmpty else {
                throw BrokerHubError(.invalidConfiguration, "\(source): \(prefix)appkey is set but its secret (\(provider == .kis ? "appsecret" : "secretkey")) is not")
            }
            let kind = BrokerAccount.Kind(rawValue: values[prefix + "kind"]?.text ?? "real") ?? .real
            let urls = Self.realBaseURLs[provider]!
            let account = BrokerAccount(
                provider: provider, appKey: appKey, secret: secret, account: values[prefix + "account"]?.text ?? "default",
                kind: kind, baseURL: values[prefix + "base_url"]?.text ?? (kind == .real ? urls.real : urls.paper)
            )
            accounts.removeAll { $0.provider == provider && $0.appKey == appKey }
            accounts.append(account)
        }
    }

    private mutating func applySnapshot(
        _ values: [String: JSONValue], source: String, double: (String) throws -> Double?, flag: (String) throws -> Bool?, int: (String) throws -> Int?
    ) throws {
        if let mode = values["snapshot_mode"]?.text {
            guard mode.isEmpty || ObservationSnapshot.Mode(rawValue: mode) != nil else {
                throw BrokerHubError(.invalidConfiguration, "\(source): snapshot_mode must be swing or scalp, got \(mode.prefix(20))")
            }
            snapshotMode = ObservationSnapshot.Mode(rawValue: mode)
        }
        if let name = values["snapshot_provider"]?.text {
            guard let provider = Provider(rawValue: name) else { throw BrokerHubError(.invalidConfiguration, "\(source): snapshot_provider must be kis or kiwoom") }
            snapshotProvider = provider
        }
        if let symbols = values["snapshot_symbols"] {
            snapshotSymbols = symbols.arrayValue?.map(\.text) ?? symbols.text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let path = values["snapshot_symbols_file"]?.text, !path.isEmpty {
            guard let data = FileManager.default.contents(atPath: path) else { throw BrokerHubError(.invalidConfiguration, "\(source): cannot read snapshot_symbols_file \(path)") }
            snapshotSymbols = SnapshotPlan.symbols(in: String(decoding: data, as: UTF8.self))
        }
        if let directory = values["snapshot_dir"]?.text { snapshotDirectory = directory.isEmpty ? nil : directory }
        if let seconds = try double("snapshot_interval_seconds") { snapshotInterval = .milliseconds(Int64(max(0.1, min(seconds, 86_400)) * 1000)) }
        if let hours = values["snapshot_hours"]?.text {
            guard let parsed = SnapshotHours(rawValue: hours) else {
                throw BrokerHubError(.invalidConfiguration, "\(source): snapshot_hours must be regular, extended or always, got \(hours.prefix(20))")
            }
            snapshotHours = parsed
        }
        if let megabytes = try double("snapshot_roll_mb") { snapshotRollBytes = Int(max(0.01, min(megabytes, 4_096)) * 1_048_576) }
        if let enabled = try flag("snapshot_gzip") { snapshotGzip = enabled }
        if let days = try int("snapshot_retention_days") { snapshotRetentionDays = days > 0 ? days : nil }
    }

    static func account(_ json: JSONValue, source: String) throws -> BrokerAccount {
        guard let providerName = json["provider"]?.text, let provider = Provider(rawValue: providerName) else {
            throw BrokerHubError(.invalidConfiguration, "\(source): each account needs provider kis or kiwoom")
        }
        guard let appKey = json["app_key"]?.text, let secret = json["secret"]?.text else {
            throw BrokerHubError(.invalidConfiguration, "\(source): account needs app_key and secret")
        }
        let kind = BrokerAccount.Kind(rawValue: json["kind"]?.text ?? "real") ?? .real
        let urls = realBaseURLs[provider]!
        return BrokerAccount(
            provider: provider, appKey: appKey, secret: secret, account: json["account"]?.text ?? "default", kind: kind,
            baseURL: json["base_url"]?.text ?? (kind == .real ? urls.real : urls.paper)
        )
    }

    /// Refuses settings that would be unsafe or cannot work.
    public func validate() throws {
        for provider in gateway.sorted(by: { $0.rawValue < $1.rawValue }) where !accounts.contains(where: { $0.provider == provider }) {
            throw BrokerHubError(.invalidConfiguration, "BROKERHUB_GATEWAY=\(provider.rawValue) needs a \(provider.rawValue) account: its sessions are that account's")
        }
        if let controlURL {
            guard RedisConfiguration.hasRedisScheme(controlURL) else {
                throw BrokerHubError(.invalidConfiguration, "BROKERHUB_CONTROL_URL must be a redis:// URL")
            }
            guard (controlKey?.utf8.count ?? 0) >= 16 else {
                throw BrokerHubError(.invalidConfiguration, "BROKERHUB_CONTROL_URL needs BROKERHUB_CONTROL_KEY (16 characters at least): commands are never accepted without it")
            }
            guard !gateway.isEmpty else {
                throw BrokerHubError(.invalidConfiguration, "BROKERHUB_CONTROL_URL controls the realtime gateway's sessions: set BROKERHUB_GATEWAY too")
            }
        }
        let loopback = ["127.0.0.1", "::1", "localhost"].contains(host)
        if !loopback, apiKeys.isEmpty {
            throw BrokerHubError(.invalidConfiguration, "binding to \(host) needs API keys (BROKERHUB_API_KEYS); without them only loopback is allowed")
        }
        if gatekeeperURL != nil, redisURL == nil {
            throw BrokerHubError(.invalidConfiguration, "BROKERHUB_REDIS_GATEKEEPER_URL needs BROKERHUB_REDIS_URL (the gatekeeper is part of distributed mode)")
        }
        for url in [redisURL, gatekeeperURL].compactMap(\.self) where !RedisConfiguration.hasRedisScheme(url) {
            throw BrokerHubError(.invalidConfiguration, "Redis URLs look like redis://[:password@]host:port/db or redis+cluster://host:port,host:port (no TLS), got \(url.hasPrefix("rediss://") ? "rediss://…" : "a different scheme")")
        }
        if let snapshot {
            guard accounts.contains(where: { $0.provider == snapshotProvider }) else {
                throw BrokerHubError(.invalidConfiguration, "BROKERHUB_SNAPSHOT_MODE needs a \(snapshotProvider.rawValue) account")
            }
            do { try snapshot.validate(budgetPerSecond: snapshotBudget) } catch let error as BrokerHubError {
                throw BrokerHubError(.invalidConfiguration, "snapshot schedule: \(error.message)")
            }
        }
        if accounts.isEmpty {
            throw BrokerHubError(.invalidConfiguration, "no broker account configured: set BROKERHUB_KIS_APPKEY/BROKERHUB_KIS_APPSECRET and/or BROKERHUB_KIWOOM_APPKEY/BROKERHUB_KIWOOM_SECRETKEY, or accounts in a secrets file")
        }
    }
}
