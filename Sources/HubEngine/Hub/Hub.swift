import BrokerClients
import BrokerCore
import BrokerWire
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The gateway's front door: validates requests against the catalogue, queues them by priority, waits
/// for synchronous callers, normalises answers, shares identical concurrent reads and caches immutable
/// history. The HTTP API and the jobs are thin layers over it.
public final class Hub: Sendable {
    let queue: any TaskQueue
    let gateway: BrokerGateway
    let dispatcher: Dispatcher
    let clock: any HubClock
    let logger: Logger
    let cache: HistoryCache
    /// Tasks of one priority waiting at most: past it, new work of that priority is refused (`queue.full`). Only
    /// what needs the queue is counted against it — a cached or shared answer never asks the queue.
    let queueLimit: Int?
    private let inFlight = Mutex<[String: SharedTask<HubResult>]>([:])
    private let counters = Mutex(HubCounters())

    struct HubCounters {
        var coalesced = 0
        var cacheHits = 0
    }

    public init(
        queue: any TaskQueue, gateway: BrokerGateway, dispatcher: Dispatcher, cache: HistoryCache = HistoryCache(), queueLimit: Int? = nil,
        clock: any HubClock = SystemClock(), logger: Logger = Logger(label: "brokerhub.hub")
    ) {
        self.queue = queue
        self.queueLimit = queueLimit
        self.gateway = gateway
        self.dispatcher = dispatcher
        self.cache = cache
        self.clock = clock
        self.logger = logger
    }

    /// The long-running parts behind the front door: the workers (and queue maintenance) and the budget
    /// learner. Run them in the process's `ServiceGroup`.
    public var services: [any Service] { [dispatcher, gateway.learner] }

    /// The configured account of `provider` callers get when they name none.
    public func account(for provider: Provider) -> BrokerAccount? { gateway.account(for: provider) }

    /// The KIS WebSocket approval key of `account`, shared and cached like every token.
    public func approvalKey(for account: BrokerAccount) async throws -> String {
        try await gateway.tokens.token(for: account, kind: .approval)
    }

    /// A task's record (state, outcome), by id.
    public func job(id: String) async throws -> TaskRecord? { try await queue.record(id: id) }

    /// Cancels a queued task; the record as it is after (a running or finished task is not interrupted).
    public func cancel(id: String) async throws -> TaskRecord? { try await queue.cancel(id) }

    /// Admission: refuses new `priority` work (`hub.queue_full`) when `limit` tasks of that priority are
    /// already waiting. Each class has its own limit, so a backfill flood never gets interactive calls refused.
    public func admit(_ priority: Priority, limit: Int) async throws {
        let depth = try await queue.depth()[priority] ?? 0
        if depth >= limit { throw BrokerHubError(.queueFull, "\(priority.name) queue full (\(depth) tasks waiting); retry later") }
    }

    /// Everything about the hub now; rates over the last `rateWindow` seconds (at most 60).
    public func snapshot(rateWindow: Double = 10) async throws -> HubStatus {
        let depth = try await queue.depth()
        let expiries = await gateway.tokens.expiries()
        let issued = await gateway.tokens.issued
        let approvals = await gateway.tokens.approvalKeysIssued
        let failures = await gateway.tokens.issueFailures
        let sends = gateway.sends
        let providers = Provider.allCases.compactMap { provider -> HubStatus.ProviderStatus? in
            guard let account = gateway.account(for: provider) else { return nil }
            let budget = gateway.keyBudget(provider)
            let breaker = gateway.breaker(provider)
            return HubStatus.ProviderStatus(
                provider: provider, appKey: account.redactedAppKey, kind: account.kind, sends: sends[provider] ?? 0,
                sendRate: gateway.sendRate(provider, over: rateWindow),
                budgetUtilisation: gateway.budgetUtilisation(provider, over: rateWindow) ?? 0,
                budgetConfigured: budget?.configured ?? 0, budgetLimit: budget?.effective ?? 0,
                breaker: breaker.state, breakerOpened: breaker.openCount, tokensIssued: issued[provider] ?? 0, approvalKeysIssued: approvals[provider] ?? 0, tokenIssueFailure: failures[provider],
                tokenExpiresAt: expiries.first { $0.key.provider == provider && $0.key.kind == .access }?.value,
                sendHistory: gateway.sendHistory(provider, bucket: HubStatus.historyBucket)
            )
        }
        let sharing = self.sharing
        return HubStatus(
            queueDepth: depth, workersBusy: dispatcher.busyWorkers, coalesced: sharing.coalesced, cacheHits: sharing.cacheHits,
            providers: providers, learnedBudgets: gateway.learner.snapshot(), rateWindow: rateWindow
        )
    }

    /// Validates and queues a request; returns the task record and whether it was new (an idempotency
    /// key already seen returns the existing task).
    public func submit(_ request: HubRequest) async throws -> (record: TaskRecord, created: Bool) {
        let brokerRequest = try TransactionCatalog.request(provider: request.provider, transaction: request.transaction, parameters: request.parameters)
        return try await enqueue(brokerRequest, request)
    }

    /// Sends an order now and exactly once (`BrokerGateway.sendOnce`): never queued — a queued task is taken
    /// over and sent again after a crash — never coalesced, cached or retried, inside the budget ahead of
    /// queued work. Counted in `brokerhub_orders_total{provider,outcome}` and logged without its body.
    public func placeOrder(_ request: BrokerRequest, account name: String? = nil, timeout: Duration) async throws -> BrokerResponse {
        let account = try resolveAccount(HubRequest(provider: request.provider, transaction: request.transaction, account: name))
        func count(_ outcome: String) {
            Counter(label: "brokerhub_orders_total", dimensions: [("provider", request.provider.rawValue), ("outcome", outcome)]).increment()
        }
        do {
            let (answer, accepted) = try await gateway.sendOnce(request, account: account, deadline: clock.now.addingTimeInterval(timeout.timeInterval))
            let outcome = accepted ? "answered" : "refused"
            count(outcome)
            logger.notice("order sent once", metadata: ["order.tr": "\(request.transaction)", "order.outcome": "\(outcome)", "order.http_status": "\(answer.status)"])
            return answer
        } catch let error as BrokerHubError where error.code == .outcomeUnknown {
            count("unknown")
            logger.error("order outcome unknown: the caller must check its order book", metadata: ["order.tr": "\(request.transaction)", "error.message": "\(error.message)"])
            throw error
        } catch {
            count("not_sent")
            throw error
        }
    }

    /// Whether two tasks ask the same thing: provider, account, transaction, path, method, parameters, body
    /// and pages (priority and deadline may differ between a submission and its resubmission).
    static func sameRequest(_ first: HubTask, _ second: HubTask) -> Bool {
        func items(_ list: [BrokerRequest.QueryItem]) -> [String] { list.map { "\($0.name.uppercased())=\($0.value)" }.sorted() }
        return first.provider == second.provider && first.account == second.account && first.maxPages == second.maxPages
            && first.request.transaction == second.request.transaction && first.request.path == second.request.path
            && first.request.method == second.request.method && items(first.request.query) == items(second.request.query)
            && first.request.body == second.request.body
    }

    /// The account a request names — it must exist and belong to the request's provider (an unknown one is
    /// never replaced by the default, another provider's never sent with the wrong token) — or the
    /// provider's first.
    func resolveAccount(_ request: HubRequest) throws -> BrokerAccount {
        guard let name = request.account else {
            guard let account = gateway.account(for: request.provider) else {
                throw BrokerHubError(.invalidArgument, "no \(request.provider.rawValue) account is configured")
            }
            return account
        }
        guard let account = gateway.accounts[name] else {
            // Not listing the configured ones: their identities hold app keys.
            throw BrokerHubError(.invalidArgument, "account \(name.prefix(80)) is not configured for \(request.provider.rawValue)")
        }
        guard account.provider == request.provider else {
            throw BrokerHubError(.invalidArgument, "account \(name.prefix(80)) is a \(account.provider.rawValue) account, not \(request.provider.rawValue)")
        }
        return account
    }

    private func enqueue(_ brokerRequest: BrokerRequest, _ request: HubRequest) async throws -> (record: TaskRecord, created: Bool) {
        let account = try resolveAccount(request)
        if let queueLimit { try await admit(request.priority, limit: queueLimit) }
        let now = clock.now
        let task = HubTask(
            provider: request.provider, account: account.identity, request: brokerRequest, priority: request.priority,
            maxPages: max(1, request.maxPages), idempotencyKey: request.scopedIdempotencyKey, enqueuedAt: now,
            deadline: now.addingTimeInterval(request.timeout.timeInterval)
        )
        let result = try await queue.enqueue(task)
        if result.created { dispatcher.notify() }
        // A reused idempotency key must name the same request: another one would get the first one's result.
        if !result.created, let key = request.idempotencyKey, !Self.sameRequest(result.record.task, task) {
            throw BrokerHubError(.idempotencyConflict, "idempotency key \(key.prefix(80)) was used for another request (\(result.record.task.provider.rawValue) \(result.record.task.request.transaction)); use a new key")
        }
        return result
    }

    /// Waits until the task finishes or `timeout` passes; returns its latest record.
    public func wait(for id: String, timeout: Duration) async throws -> TaskRecord? {
        let deadline = clock.now.addingTimeInterval(timeout.timeInterval)
        while true {
            // A cancelled caller (a drain's end) stops waiting; the task stays queued and still runs.
            try Task.checkCancellation()
            guard let record = try await queue.record(id: id) else { return nil }
            if record.state.isFinished { return record }
            let remaining = deadline.timeIntervalSince(clock.now)
            if remaining <= 0 { return record }
            // Woken by this process's workers; polls for tasks finished elsewhere.
            await dispatcher.completions.wait(for: id, timeout: .milliseconds(Int64(min(remaining, 0.25) * 1000)))
        }
    }

    /// Runs a request synchronously: cached history, or an identical call in flight, or queue and wait.
    public func execute(_ request: HubRequest) async throws -> HubResult {
        _ = try resolveAccount(request)
        let brokerRequest = try TransactionCatalog.request(provider: request.provider, transaction: request.transaction, parameters: request.parameters)
        let signature = Self.signature(brokerRequest, maxPages: request.maxPages, account: request.account)
        let cacheable = HistoryCache.isImmutable(brokerRequest, today: KSTDate(clock.now))
        if cacheable, var result = cache.get(Self.cacheKey(signature, request.sourceType)) {
            counters.withLock { $0.cacheHits += 1 }
            result.taskID = "cache"
            result.attempts = 0
            result.queueWait = .zero
            result.cached = true
            return result
        }
        if request.idempotencyKey == nil {
            var (result, shared) = try await sharing(signature) { try await self.run(brokerRequest, request, signature: signature, cacheable: cacheable) }
            result.coalesced = shared
            return result
        }
        return try await run(brokerRequest, request, signature: signature, cacheable: cacheable)
    }

    /// Runs `body` once for all callers asking `signature` at the same time: the first starts it, the others
    /// (counted as coalesced) wait for its result.
    private func sharing(_ signature: String, _ body: @escaping @Sendable () async throws -> HubResult) async throws -> (HubResult, shared: Bool) {
        let (task, shared) = inFlight.withLock { inFlight -> (SharedTask<HubResult>, Bool) in
            if let running = inFlight[signature], !running.isAbandoned { return (running, true) }
            let task = SharedTask {
                defer { self.inFlight.withLock { _ = $0.removeValue(forKey: signature) } }
                return try await body()
            }
            inFlight[signature] = task
            return (task, false)
        }
        if shared { counters.withLock { $0.coalesced += 1 } }
        return (try await task.value(), shared)
    }

    private func run(_ brokerRequest: BrokerRequest, _ request: HubRequest, signature: String, cacheable: Bool) async throws -> HubResult {
        let (record, _) = try await enqueue(brokerRequest, request)
        guard let finished = try await wait(for: record.task.id, timeout: request.timeout + .milliseconds(500)), finished.state.isFinished else {
            throw BrokerHubError(.deadlineExceeded, "\(request.transaction): no answer within \(request.timeout) (task \(record.task.id) still \(record.state.rawValue))")
        }
        guard let outcome = finished.outcome, finished.state == .succeeded else {
            throw Self.error(from: finished)
        }
        let waited = outcome.startedAt.timeIntervalSince(finished.task.enqueuedAt)
        let result = try normalize(outcome.pages, of: brokerRequest, sourceType: request.sourceType, taskID: finished.task.id, attempts: outcome.attempts, queueWait: .milliseconds(Int64(max(0, waited) * 1000)))
        if cacheable { cache.put(Self.cacheKey(signature, request.sourceType), result: result) }
        return result
    }

    /// A broker-native call (the proxy), answered like `execute`: an immutable history read from the cache,
    /// an identical call in flight shared, otherwise queued and waited for. Returns the broker's last page; a
    /// failed task throws its error (`failure` carries the broker's verdict for the caller's own shape).
    /// The caller's headers are part of what makes two calls identical (`tr_cont`, `next-key`: other pages).
    public func forward(_ raw: BrokerRequest, priority: Priority, timeout: Duration) async throws -> BrokerResponse {
        let request = HubRequest(provider: raw.provider, transaction: raw.transaction, priority: priority, timeout: timeout)
        _ = try resolveAccount(request)
        let headers = raw.headers.map { "\($0.name.lowercased())=\($0.value)" }.sorted().joined(separator: "&")
        let signature = "raw|" + Self.signature(raw, maxPages: 1, account: nil) + "|" + headers
        let cacheable = HistoryCache.isImmutable(raw, today: KSTDate(clock.now))
        if cacheable, let hit = cache.get(signature), let page = hit.pages.last {
            counters.withLock { $0.cacheHits += 1 }
            return page
        }
        let (result, _) = try await sharing(signature) { try await self.relay(raw, request, signature: signature, cacheable: cacheable) }
        guard let page = result.pages.last else {
            throw BrokerHubError(.malformedPayload, "\(raw.transaction): the broker's answer had no page")
        }
        return page
    }

    /// Queues a proxied call and waits for it; its pages as they came (nothing normalised).
    private func relay(_ raw: BrokerRequest, _ request: HubRequest, signature: String, cacheable: Bool) async throws -> HubResult {
        let (record, _) = try await enqueue(raw, request)
        guard let finished = try await wait(for: record.task.id, timeout: request.timeout + .milliseconds(500)), finished.state.isFinished else {
            throw BrokerHubError(.deadlineExceeded, "\(raw.transaction): no answer within \(request.timeout) (task \(record.task.id) still \(record.state.rawValue))")
        }
        guard let outcome = finished.outcome, finished.state == .succeeded else { throw Self.error(from: finished) }
        let result = HubResult(
            taskID: finished.task.id, records: [], skipped: [], pages: outcome.pages, attempts: outcome.attempts, queueWait: .zero,
            cached: false, coalesced: false
        )
        if cacheable { cache.put(signature, result: result) }
        return result
    }

    /// The history cache holds answers as normalised, so the provenance asked for is part of the key.
    private static func cacheKey(_ signature: String, _ sourceType: SourceType?) -> String {
        signature + "|" + (sourceType?.rawValue ?? "")
    }

    /// A finished job's records: its pages normalised against the request it was sent as; nil unless it
    /// succeeded with a catalogued transaction.
    public func result(of record: TaskRecord) throws -> HubResult? {
        guard record.state == .succeeded, let outcome = record.outcome,
              TransactionCatalog.spec(provider: record.task.provider, id: record.task.request.transaction) != nil else { return nil }
        return try normalize(outcome.pages, of: record.task.request, sourceType: nil, taskID: record.task.id, attempts: outcome.attempts, queueWait: .zero)
    }

    /// Turns a task's pages into records, reading the request's own parameters (query and body).
    func normalize(_ pages: [BrokerResponse], of request: BrokerRequest, sourceType: SourceType?, taskID: String, attempts: Int, queueWait: Duration) throws -> HubResult {
        var records: [MarketRecord] = []
        var skipped: [String] = []
        let context = NormalizationContext(receivedAt: clock.now, parameters: request.parameters, sourceType: sourceType)
        for page in pages {
            let batch = switch request.provider {
            case .kis: try KISRestNormalizer.normalize(trID: request.transaction, body: page.body, httpStatus: page.status, context: context)
            case .kiwoom: try KiwoomRestNormalizer.normalize(apiID: request.transaction, body: page.body, httpStatus: page.status, context: context)
            }
            records += batch.records
            skipped += batch.skipped.map(\.description)
        }
        if pages.count > 1 {
            records = Self.deduplicatedInOrder(records)
        }
        return HubResult(taskID: taskID, records: records, skipped: skipped, pages: pages, attempts: attempts, queueWait: queueWait, cached: false, coalesced: false)
    }

    /// Identical reads coalesced and cache hits served so far.
    public var sharing: (coalesced: Int, cacheHits: Int) { counters.withLock { ($0.coalesced, $0.cacheHits) } }

    /// The error a failed task ended with.
    public static func error(from record: TaskRecord) -> BrokerHubError {
        if record.state == .cancelled { return BrokerHubError(.unavailable, "task \(record.task.id) was cancelled") }
        guard let error = record.outcome?.error else { return BrokerHubError(.unavailable, "task \(record.task.id) failed without a reason") }
        let failure = error.category.flatMap(BrokerErrorCategory.init(rawValue:)).map {
            BrokerFailure(provider: record.task.provider, category: $0, httpStatus: error.httpStatus ?? 0, code: error.brokerCode, message: error.message)
        }
        return BrokerHubError(BrokerHubError.Code(rawValue: error.code), error.message, failure: failure)
    }

    static func signature(_ request: BrokerRequest, maxPages: Int, account: String?) -> String {
        let query = request.query.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        return "\(request.provider.rawValue)|\(account ?? "")|\(request.transaction)|\(request.path)|\(query)|\(String(decoding: request.body, as: UTF8.self))|\(maxPages)"
    }

    /// Pages can overlap at their edges; keep the first of each record identity, sorted by time.
    static func deduplicatedInOrder(_ records: [MarketRecord]) -> [MarketRecord] {
        var seen = Set<String>()
        var unique: [MarketRecord] = []
        for record in records {
            let identity: String = switch record {
            case .candle(let candle): "c|\(candle.symbol)|\(candle.interval)|\(candle.start.timeIntervalSince1970)"
            default: UUID().uuidString
            }
            if seen.insert(identity).inserted { unique.append(record) }
        }
        return unique.sorted { time($0) < time($1) }
    }

    static func time(_ record: MarketRecord) -> Date {
        switch record {
        case .candle(let candle): candle.start
        case .quote(let quote): quote.time
        case .tick(let tick): tick.time
        case .orderBook(let book): book.time
        }
    }
}
