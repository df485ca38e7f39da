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

/// A broker client that forwards to a real one and runs a hook after each successful send (e.g. to make
/// the mock expire its tokens between two pages of one task).
struct HookedClient: BrokerClient {
    final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        func next() -> Int { value.add(1, ordering: .relaxed).newValue }
        var count: Int { value.load(ordering: .relaxed) }
    }

    let inner: any BrokerClient
    let sends = Counter()
    let afterSend: @Sendable (Int) async throws -> Void

    var provider: Provider { inner.provider }

    func issueToken(for account: BrokerAccount) async throws -> IssuedToken { try await inner.issueToken(for: account) }
    func revokeToken(_ token: String, for account: BrokerAccount) async throws { try await inner.revokeToken(token, for: account) }
    func approvalKey(for account: BrokerAccount) async throws -> IssuedToken { try await inner.approvalKey(for: account) }

    func send(_ request: BrokerRequest, account: BrokerAccount, token: String, timeout: Duration) async throws -> BrokerResponse {
        let response = try await inner.send(request, account: account, token: token, timeout: timeout)
        try await afterSend(sends.next())
        return response
    }

    func failure(in response: BrokerResponse) -> BrokerFailure? { inner.failure(in: response) }
    func nextPage(of request: BrokerRequest, after response: BrokerResponse) -> BrokerRequest? { inner.nextPage(of: request, after: response) }
}

/// The gateway, its token manager and the accounts, wired to one running mock broker.
struct GatewayRig {
    let gateway: BrokerGateway
    let tokens: TokenManager
    let kis: BrokerAccount
    let kiwoom: BrokerAccount
    let baseURL: String

    init(
        _ broker: MockBroker, _ baseURL: String, clients: [any BrokerClient] = HubFixtures.clients(),
        clock: any HubClock = SystemClock(), logger: Logger? = nil, _ change: (inout BrokerGateway.Configuration) -> Void = { _ in }
    ) {
        kis = HubMock.account(broker, .kis, baseURL: baseURL)
        kiwoom = HubMock.account(broker, .kiwoom, baseURL: baseURL)
        self.baseURL = baseURL
        tokens = TokenManager(
            store: InMemoryTokenStore(), cipher: HubFixtures.cipher(), clients: clients, policy: HubFixtures.tokenPolicy(),
            logger: logger ?? Logger(label: "test.tokens")
        )
        var configuration = BrokerGateway.Configuration()
        change(&configuration)
        gateway = BrokerGateway(
            accounts: [kis, kiwoom], clients: clients, tokens: tokens, limiter: LocalRateLimiter(clock: SystemClock()),
            configuration: configuration, clock: clock, logger: logger ?? Logger(label: "test.gateway")
        )
    }

    func run(_ request: BrokerRequest, maxPages: Int = 1, deadline: Date? = nil) async -> TaskOutcome {
        let account = request.provider == .kis ? kis : kiwoom
        return await gateway.execute(HubFixtures.task(request, account: account, maxPages: maxPages, deadline: deadline))
    }
}

extension TaskOutcome {
    /// Each page's body as JSON.
    var json: [JSONValue] { pages.compactMap { try? JSONParser.parse($0.body) } }
}

@Suite("BrokerGateway against the mock broker", .serialized, .timeLimit(.minutes(1)))
struct GatewayTests {
    @Test("a KIS quote succeeds with one page and one send")
    func kisQuote() async throws {
        try await HubMock.run { broker, baseURL in
            let rig = GatewayRig(broker, baseURL)
            let outcome = await rig.run(try HubFixtures.kisQuote())
            #expect(outcome.error == nil, "\(String(describing: outcome.error))")
            #expect(outcome.pages.count == 1)
            #expect(outcome.attempts == 1)
            let body = try #require(outcome.json.first)
            #expect(body["rt_cd"]?.stringValue == "0")
            #expect(body["output"]?["stck_prpr"]?.stringValue?.isEmpty == false)
            #expect(rig.gateway.sends[.kis] == 1)
            let stats = try await HubMock.stats(baseURL, .kis)
            #expect(stats.requests("FHKST01010100") == 1)
            #expect(stats.tokensIssued == 1)
        }
    }

    @Test("FHKST03010100 over 2023-01-01…2025-09-05 with maxPages 5: five pages, dates never overlap")
    func kisPeriodChartPagination() async throws {
        try await HubMock.run { broker, baseURL in
            let rig = GatewayRig(broker, baseURL)
            let request = try TransactionCatalog.request(provider: .kis, transaction: "FHKST03010100", parameters: [
                "FID_INPUT_ISCD": "005930", "FID_INPUT_DATE_1": "20230101", "FID_INPUT_DATE_2": "20250905", "FID_PERIOD_DIV_CODE": "D",
            ])
            let outcome = await rig.run(request, maxPages: 5)
            #expect(outcome.error == nil, "\(String(describing: outcome.error))")
            #expect(outcome.pages.count == 5)
            #expect(outcome.attempts == 5)
            let pages = outcome.json.map { page in (page["output2"]?.arrayValue ?? []).compactMap { $0["stck_bsop_date"]?.stringValue } }
            #expect(pages.allSatisfy { !$0.isEmpty && $0.count <= 100 })
            let all = pages.flatMap { $0 }
            #expect(Set(all).count == all.count, "no date appears twice across pages")
            // Newest first: each page is entirely older than the one before, and inside the range.
            for (newer, older) in zip(pages, pages.dropFirst()) { #expect(older.max()! < newer.min()!) }
            #expect(all.allSatisfy { $0 >= "20230101" && $0 <= "20250905" })
            #expect(outcome.pages.last?.header("tr_cont") == "M", "more pages were left (maxPages stopped it)")
            let stats = try await HubMock.stats(baseURL, .kis)
            #expect(stats.requests("FHKST03010100") == 5)
            #expect(stats.rateLimitViolations == 0)
        }
    }

    @Test("FHKST03010230: a whole past day in one execute (120 rows a page, anchor walk), agreeing with the daily candle; paper gets the real refusal")
    func kisPastDayMinutes() async throws {
        try await HubMock.run { broker, baseURL in
            let rig = GatewayRig(broker, baseURL)
            let request = try TransactionCatalog.request(provider: .kis, transaction: "FHKST03010230", parameters: [
                "FID_INPUT_ISCD": "005930", "FID_INPUT_DATE_1": "20250905",
            ])
            #expect(request.query.first { $0.name == "FID_INPUT_HOUR_1" }?.value == "", "empty anchor: the day's last row")
            let outcome = await rig.run(request, maxPages: 8)
            #expect(outcome.error == nil, "\(String(describing: outcome.error))")
            let pages = outcome.json.map { ($0["output2"]?.arrayValue ?? []).compactMap { $0["stck_cntg_hour"]?.stringValue } }
            let minutes = pages.flatMap { $0 }
            #expect(minutes.count >= 380, "a 09:00–15:30 day, got \(minutes.count)")
            #expect(pages.count == (minutes.count + 119) / 120)
            #expect(pages.dropLast().allSatisfy { $0.count == 120 })
            #expect(Set(minutes).count == minutes.count, "no minute twice")
            #expect(minutes == minutes.sorted(by: >), "newest first across pages")
            #expect(minutes.last == "090000")
            // The same simulated trades as the daily candle of that day.
            let context = NormalizationContext(parameters: ["FID_INPUT_ISCD": "005930"])
            let bars = try outcome.pages.flatMap { try KISRestNormalizer.normalize(trID: "FHKST03010230", body: $0.body, context: context).records }
                .compactMap { record -> Candle? in if case .candle(let candle) = record { candle } else { nil } }
                .sorted { $0.start < $1.start }
            #expect(bars.count == minutes.count)
            #expect(bars.allSatisfy { $0.interval == .oneMinute && KSTDate($0.start) == KSTDate(year: 2025, month: 9, day: 5) })
            let daily = await rig.run(try TransactionCatalog.request(provider: .kis, transaction: "FHKST03010100", parameters: [
                "FID_INPUT_ISCD": "005930", "FID_INPUT_DATE_1": "20250905", "FID_INPUT_DATE_2": "20250905", "FID_PERIOD_DIV_CODE": "D",
            ]))
            let dailyPage = try #require(daily.pages.first)
            let dailyContext = NormalizationContext(parameters: ["FID_INPUT_ISCD": "005930", "FID_PERIOD_DIV_CODE": "D"])
            let dailyCandles = try KISRestNormalizer.normalize(trID: "FHKST03010100", body: dailyPage.body, context: dailyContext).records
                .compactMap { record -> Candle? in if case .candle(let candle) = record { candle } else { nil } }
            let day = try #require(dailyCandles.first)
            #expect(bars.first?.open == day.open && bars.last?.close == day.close)
            #expect(bars.map(\.high).max() == day.high && bars.map(\.low).min() == day.low)
            #expect(bars.reduce(0) { $0 + $1.volume } == day.volume)
            // Paper accounts: the broker's own "not offered on paper" answer.
            let keys = broker.configuration.credentials.keys.filter { $0.provider == .kis }
            let paperIndex = try #require(keys.firstIndex { $0.kind == .paper })
            let paper = HubMock.account(broker, .kis, baseURL: baseURL, index: paperIndex)
            let client = KISClient()
            let answer = try await client.send(request, account: paper, token: try await rig.tokens.token(for: paper), timeout: .seconds(10))
            let failure = try #require(client.failure(in: answer))
            #expect(failure.code == "EGW02006")
            #expect(!failure.category.isRetryable)
        }
    }

    @Test("Kiwoom ka10081 with maxPages 2 returns two non-overlapping pages")
    func kiwoomDailyPagination() async throws {
        try await HubMock.run { broker, baseURL in
            let rig = GatewayRig(broker, baseURL)
            let outcome = await rig.run(try HubFixtures.kiwoomDaily(), maxPages: 2)
            #expect(outcome.error == nil, "\(String(describing: outcome.error))")
            #expect(outcome.pages.count == 2)
            let pages = outcome.json.map { page in (page["stk_dt_pole_chart_qry"]?.arrayValue ?? []).compactMap { $0["dt"]?.stringValue } }
            #expect(pages.map(\.count) == [600, 600])
            #expect(Set(pages[0]).isDisjoint(with: pages[1]))
            #expect(pages[1].max()! < pages[0].min()!)
            #expect(outcome.pages[0].header("cont-yn") == "Y")
            let stats = try await HubMock.stats(baseURL, .kiwoom)
            #expect(stats.requests("ka10081") == 2)
            #expect(stats.rateLimitViolations == 0)
        }
    }

    @Test("a token expiring mid-task is re-issued once and the task still succeeds", arguments: [Provider.kis, .kiwoom])
    func earlyExpiryMidTask(provider: Provider) async throws {
        try await HubMock.run { broker, baseURL in
            let inner: any BrokerClient = provider == .kis ? KISClient() : KiwoomClient()
            // After the first page has been answered, the broker expires every token early.
            let hooked = HookedClient(inner: inner) { send in
                if send == 1 { try await HubMock.expireTokens(baseURL, provider: provider) }
            }
            let clients: [any BrokerClient] = provider == .kis ? [hooked, KiwoomClient()] : [KISClient(), hooked]
            let rig = GatewayRig(broker, baseURL, clients: clients)
            let request = provider == .kis
                ? try TransactionCatalog.request(provider: .kis, transaction: "FHKST03010100", parameters: [
                    "FID_INPUT_ISCD": "000660", "FID_INPUT_DATE_1": "20240101", "FID_INPUT_DATE_2": "20250905",
                ])
                : try HubFixtures.kiwoomDaily("000660")
            let outcome = await rig.run(request, maxPages: 2)
            #expect(outcome.error == nil, "\(String(describing: outcome.error))")
            #expect(outcome.pages.count == 2)
            #expect(outcome.attempts == 3, "two pages and one refused send")
            let stats = try await HubMock.stats(baseURL, provider)
            #expect(stats.tokensIssued == 2, "exactly one re-issue")
            #expect(await rig.tokens.issued[provider] == 2)
            #expect(stats.errors(provider == .kis ? "EGW00123" : "8005") == 1)
        }
    }

    @Test("a 5xx storm opens the circuit after 5 failed sends; then calls fail fast and the broker sees nothing; the circuit closes on the next success")
    func serverErrorStormOpensCircuit() async throws {
        try await HubMock.run { broker, baseURL in
            let clock = ManualClock(start: Date())
            let rig = GatewayRig(broker, baseURL, clock: clock) { configuration in
                configuration.retry.maxAttempts = 1
                configuration.breaker.openDuration = .milliseconds(300)
            }
            let quote = try HubFixtures.kisQuote()
            let warmUp = await rig.run(quote) // issues the token while the broker is healthy
            #expect(warmUp.error == nil)

            try await HubMock.setFaults(baseURL, #"{"server_error_rate":1.0}"#)
            for index in 1...5 {
                let outcome = await rig.run(quote)
                #expect(outcome.error?.category == "transient", "failure \(index)")
                #expect(outcome.error?.code == "broker.error")
                #expect(outcome.attempts == 1)
            }
            #expect(rig.gateway.breaker(.kis).state == .open)
            #expect(rig.gateway.breaker(.kiwoom).state == .closed, "breakers are per provider")
            let atOpen = try await HubMock.stats(baseURL, .kis)
            #expect(atOpen.faults("server_error") == 5)

            for _ in 0..<3 {
                let outcome = await rig.run(quote)
                #expect(outcome.error?.code == "hub.circuit_open")
                #expect(outcome.attempts == 0)
                #expect(outcome.pages.isEmpty)
            }
            let whileOpen = try await HubMock.stats(baseURL, .kis)
            #expect(whileOpen.faults("server_error") == 5, "no request reached the broker while open")
            #expect(whileOpen.requestsTotal == atOpen.requestsTotal)

            try await HubMock.setFaults(baseURL, "{}")
            clock.advance(by: .milliseconds(299))
            #expect(await rig.run(quote).error?.code == "hub.circuit_open")
            clock.advance(by: .milliseconds(1))
            let probe = await rig.run(quote)
            #expect(probe.error == nil, "\(String(describing: probe.error))")
            #expect(rig.gateway.breaker(.kis).state == .closed)
            #expect(await rig.run(quote).error == nil)
        }
    }

    @Test("retries feed the breaker: one task's retries open it, the rest of its attempts fail fast; after the open duration it closes")
    func retriesOpenTheCircuit() async throws {
        try await HubMock.run { broker, baseURL in
            let rig = GatewayRig(broker, baseURL) { configuration in
                configuration.retry.maxAttempts = 8
                configuration.retry.baseDelay = .milliseconds(4)
                configuration.retry.maxDelay = .milliseconds(8)
                configuration.breaker.openDuration = .milliseconds(300)
            }
            let quote = try HubFixtures.kisQuote()
            #expect(await rig.run(quote).error == nil)
            try await HubMock.setFaults(baseURL, #"{"server_error_rate":1.0}"#)
            let outcome = await rig.run(quote)
            #expect(outcome.error?.code == "hub.circuit_open")
            #expect(outcome.attempts == 5, "five sends, then the circuit refused the sixth")
            #expect(try await HubMock.stats(baseURL, .kis).faults("server_error") == 5)

            try await HubMock.setFaults(baseURL, "{}")
            try await Task.sleep(for: .milliseconds(350)) // the open duration passes (not an assertion on time)
            let after = await rig.run(quote)
            #expect(after.error == nil, "\(String(describing: after.error))")
            #expect(after.attempts == 1)
            #expect(rig.gateway.breaker(.kis).state == .closed)
        }
    }

    @Test("a broker rate-limit answer (EGW00201) is retried after rateLimitedDelay and never opens the circuit")
    func rateLimitedAnswersAreRetried() async throws {
        try await HubMock.run { broker, baseURL in
            // A limiter configured above the broker's real budget (18/s): the broker refuses the excess.
            let rig = GatewayRig(broker, baseURL) { configuration in
                configuration.limits.kisRealPerSecond = 100
                configuration.retry.rateLimitedDelay = .milliseconds(1100)
            }
            let quote = try HubFixtures.kisQuote()
            #expect(await rig.run(quote).error == nil)
            try await Task.sleep(for: .milliseconds(1100)) // an empty window at the broker
            let outcomes = await withTaskGroup(of: TaskOutcome.self) { group in
                for _ in 0..<30 { group.addTask { await rig.run(quote) } }
                return await group.reduce(into: [TaskOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.allSatisfy { $0.error == nil }, "\(outcomes.compactMap(\.error).prefix(3))")
            let stats = try await HubMock.stats(baseURL, .kis)
            let refused = stats.errors("EGW00201")
            #expect(refused >= 1, "the broker refused some sends")
            #expect(outcomes.filter { $0.attempts == 2 }.count == refused, "each refused send was retried once")
            #expect(rig.gateway.breaker(.kis).state == .closed)
        }
    }

    @Test("a transient failure is retried with backoff and the task succeeds")
    func transientRetried() async throws {
        try await HubMock.run { broker, baseURL in
            // Fail the first answer only, from inside the client hook.
            let hooked = HookedClient(inner: KISClient()) { send in
                if send == 1 {
                    throw BrokerHubError.broker(BrokerFailure(provider: .kis, category: .transient, httpStatus: 503, code: nil, message: "injected"))
                }
            }
            let rig = GatewayRig(broker, baseURL, clients: [hooked, KiwoomClient()]) { configuration in
                configuration.retry.baseDelay = .milliseconds(5)
            }
            let outcome = await rig.run(try HubFixtures.kisQuote())
            #expect(outcome.error == nil)
            #expect(outcome.attempts == 2)
            #expect(outcome.pages.count == 1)
        }
    }

    @Test("a permanent error (unknown symbol on ka10081) is not retried and does not count against the circuit")
    func notFoundIsNotRetried() async throws {
        try await HubMock.run { broker, baseURL in
            let rig = GatewayRig(broker, baseURL)
            for _ in 0..<6 {
                let outcome = await rig.run(try HubFixtures.kiwoomDaily("999999"))
                #expect(outcome.error?.code == "broker.not_found")
                #expect(outcome.error?.category == "not_found")
                #expect(outcome.error?.brokerCode == "1902")
                #expect(outcome.attempts == 1)
                #expect(outcome.pages.isEmpty)
            }
            #expect(try await HubMock.stats(baseURL, .kiwoom).requests("ka10081") == 6)
            #expect(rig.gateway.breaker(.kiwoom).state == .closed)
        }
    }

    @Test("a KIS bad request (OPSQ2001-style permanent answer) fails fast")
    func kisPermanentFailsFast() async throws {
        try await HubMock.run { broker, baseURL in
            let rig = GatewayRig(broker, baseURL)
            // Built by hand to get past the catalogue's validation: an invalid market code.
            var request = try HubFixtures.kisQuote()
            request.query = [.init("FID_COND_MRKT_DIV_CODE", "X"), .init("FID_INPUT_ISCD", "005930")]
            let outcome = await rig.run(request)
            #expect(outcome.error?.category == "permanent")
            #expect(outcome.error?.brokerCode == "OPSQ2001")
            #expect(outcome.attempts == 1)
        }
    }

    @Test("many concurrent tasks share the budget: no rate-limit violation at the broker")
    func concurrentTasksStayInBudget() async throws {
        try await HubMock.run { broker, baseURL in
            let rig = GatewayRig(broker, baseURL)
            let quote = try HubFixtures.kisQuote()
            let outcomes = await withTaskGroup(of: TaskOutcome.self) { group in
                for _ in 0..<30 { group.addTask { await rig.run(quote) } }
                return await group.reduce(into: [TaskOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.allSatisfy { $0.error == nil && $0.attempts == 1 })
            let stats = try await HubMock.stats(baseURL, .kis)
            #expect(stats.rateLimitViolations == 0)
            #expect(stats.requests("FHKST01010100") == 30)
            #expect(stats.tokensIssued == 1)
        }
    }

    @Test("a task past its deadline fails with hub.deadline without sending; an unknown account is a configuration error")
    func deadlineAndUnknownAccount() async throws {
        try await HubMock.run { broker, baseURL in
            let rig = GatewayRig(broker, baseURL)
            let late = await rig.run(try HubFixtures.kisQuote(), deadline: Date().addingTimeInterval(-1))
            #expect(late.error?.code == "hub.deadline")
            #expect(late.attempts == 0)
            var task = HubFixtures.task(try HubFixtures.kisQuote(), account: rig.kis)
            task.account = "kis:nobody:0"
            let unknown = await rig.gateway.execute(task)
            #expect(unknown.error?.code == "config.invalid")
            #expect(try await HubMock.stats(baseURL, .kis).requestsTotal == 0)
        }
    }

    @Test("a cancelled half-open probe does not leave the circuit stuck")
    func cancelledProbeFreesTheCircuit() async throws {
        try await HubMock.run { broker, baseURL in
            let clock = ManualClock(start: Date())
            let rig = GatewayRig(broker, baseURL, clock: clock) { configuration in
                configuration.retry.maxAttempts = 1
            }
            let quote = try HubFixtures.kisQuote()
            #expect(await rig.run(quote).error == nil)
            try await HubMock.setFaults(baseURL, #"{"server_error_rate":1.0}"#)
            for _ in 0..<5 { _ = await rig.run(quote) }
            #expect(rig.gateway.breaker(.kis).state == .open)

            // Half-open; the probe hangs at the broker and its caller gives up (cancels).
            try await HubMock.setFaults(baseURL, #"{"hang_rate":1.0,"hang_seconds":2}"#)
            clock.advance(by: .seconds(30))
            let probe = Task { await rig.run(quote) }
            try await eventually("the probe reached the broker") { try await HubMock.stats(baseURL, .kis).faults("hang") == 1 }
            probe.cancel()
            let cancelled = await probe.value
            #expect(cancelled.error != nil)
            #expect(cancelled.error?.code != "hub.circuit_open", "the probe itself was let through")

            try await HubMock.setFaults(baseURL, "{}")
            let next = await rig.run(quote)
            #expect(next.error == nil, "the next caller may probe: \(String(describing: next.error))")
            #expect(rig.gateway.breaker(.kis).state == .closed)
        }
    }
}
