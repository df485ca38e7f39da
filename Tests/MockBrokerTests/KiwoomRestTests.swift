import BrokerCore
import BrokerWire
import Foundation
import MockBroker
import Testing

@Suite("Mock broker: Kiwoom REST", .timeLimit(.minutes(5)), .serialized)
struct KiwoomRestTests {
    @Test func tokenAndDailyChartPagination() async throws {
        try await MockHarness.run { broker, base in
            let key = MockHarness.key(broker, .kiwoom)
            let tokenAnswer = try await MockHarness.send(.POST, base + "/oauth2/token", body: #"{"grant_type":"client_credentials","appkey":"\#(key.appKey)","secretkey":"\#(key.secret)"}"#)
            #expect(tokenAnswer.json?["return_code"] == .number("0"))
            let expires = try #require(tokenAnswer.json?["expires_dt"]?.stringValue)
            #expect(KST.parseCompactDateTime(expires) != nil)
            let token = try #require(tokenAnswer.json?["token"]?.stringValue)
            // While valid, asking again hands back the same token.
            #expect(try await MockHarness.kiwoomToken(base, key) == token)

            let first = try await MockHarness.kiwoomPost(base, token: token, .dailyChart, #"{"stk_cd":"005930","base_dt":"20250905","upd_stkpc_tp":"1"}"#)
            #expect(first.status == 200)
            #expect(first.headers.first(name: "cont-yn") == "Y")
            #expect(first.headers.first(name: "api-id") == "ka10081")
            let nextKey = try #require(first.headers.first(name: "next-key"))
            let page1 = try KiwoomRestNormalizer.normalize(apiID: "ka10081", body: first.body, context: .init())
            #expect(page1.records.count == 600)
            let second = try await MockHarness.kiwoomPost(base, token: token, .dailyChart, #"{"stk_cd":"005930","base_dt":"20250905","upd_stkpc_tp":"1"}"#, headers: [("cont-yn", "Y"), ("next-key", nextKey)])
            let page2 = try KiwoomRestNormalizer.normalize(apiID: "ka10081", body: second.body, context: .init())
            #expect(!page2.records.isEmpty)
            guard case .candle(let newestOfPage2) = try #require(page2.records.last), case .candle(let oldestOfPage1) = try #require(page1.records.first) else {
                Issue.record("not candles")
                return
            }
            #expect(newestOfPage2.start < oldestOfPage1.start)
            let stats = try await MockHarness.stats(base)
            #expect(stats["kiwoom"]?["tokens_issued"]?.intValue == 1)
        }
    }

    @Test func minuteAndTickChartsAndQuote() async throws {
        try await MockHarness.run { broker, base in
            let key = MockHarness.key(broker, .kiwoom)
            let token = try await MockHarness.kiwoomToken(base, key)
            let minutes = try await MockHarness.kiwoomPost(base, token: token, .minuteChart, #"{"stk_cd":"000660","tic_scope":"5","upd_stkpc_tp":"1"}"#)
            let candles = try KiwoomRestNormalizer.normalize(apiID: "ka10080", body: minutes.body, context: .init(parameters: ["tic_scope": "5"]))
            #expect(candles.records.count == 900)
            #expect(minutes.text.contains("\"cur_prc\":\"+") || minutes.text.contains("\"cur_prc\":\"-"))
            try await Task.sleep(for: .milliseconds(600)) // per-api-id budget
            let ticks = try await MockHarness.kiwoomPost(base, token: token, .tickChart, #"{"stk_cd":"000660","tic_scope":"1","upd_stkpc_tp":"1"}"#)
            #expect(try !KiwoomRestNormalizer.normalize(apiID: "ka10079", body: ticks.body, context: .init()).records.isEmpty)
            let quote = try await MockHarness.kiwoomPost(base, token: token, .quote, #"{"stk_cd":"000660"}"#)
            let batch = try KiwoomRestNormalizer.normalize(apiID: "ka10001", body: quote.body, context: .init())
            guard case .quote(let parsed) = try #require(batch.records.first) else { Issue.record("no quote"); return }
            #expect(parsed.name == "SK하이닉스" && parsed.price > 0)
        }
    }

    @Test func errorsAsKiwoomSendsThem() async throws {
        let configuration = MockHarness.configuration { $0.limits.kiwoomPerAPIPerSecond = 1 }
        try await MockHarness.run(configuration) { broker, base in
            let key = MockHarness.key(broker, .kiwoom)
            let token = try await MockHarness.kiwoomToken(base, key)
            let invalid = try await MockHarness.kiwoomPost(base, token: "nope", .quote, #"{"stk_cd":"005930"}"#)
            #expect(invalid.status == 200)
            #expect(KiwoomEnvelope.failure(httpStatus: invalid.status, body: invalid.json)?.category == .tokenExpired)
            _ = try await MockHarness.kiwoomPost(base, token: token, .quote, #"{"stk_cd":"005930"}"#)
            let limited = try await MockHarness.kiwoomPost(base, token: token, .quote, #"{"stk_cd":"005930"}"#)
            #expect(limited.status == 429)
            let failure = try #require(KiwoomEnvelope.failure(httpStatus: limited.status, body: limited.json))
            #expect(failure.category == .rateLimited && failure.code == "1700" && failure.returnCode == 5)
            try await Task.sleep(for: .milliseconds(1100))
            let missing = try await MockHarness.kiwoomPost(base, token: token, .dailyChart, #"{"stk_cd":"005930","upd_stkpc_tp":"1"}"#)
            #expect(KiwoomEnvelope.failure(httpStatus: missing.status, body: missing.json)?.code == "1511")
            try await Task.sleep(for: .milliseconds(1100))
            let unknown = try await MockHarness.kiwoomPost(base, token: token, .dailyChart, #"{"stk_cd":"999999","base_dt":"20250905","upd_stkpc_tp":"1"}"#)
            #expect(KiwoomEnvelope.failure(httpStatus: unknown.status, body: unknown.json)?.category == .notFound)
            let wrongURI = try await MockHarness.send(.POST, base + "/api/dostk/chart", headers: [("api-id", "ka10001"), ("authorization", "Bearer \(token)")], body: "{}")
            #expect(KiwoomEnvelope.failure(httpStatus: wrongURI.status, body: wrongURI.json)?.code == "1504")
            let stats = try await MockHarness.stats(base)
            #expect(stats["kiwoom"]?["rate_limit_violations"]?.intValue == 1)
        }
    }
}
