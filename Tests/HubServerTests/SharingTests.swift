import BrokerCore
import BrokerWire
import Foundation
import NIOHTTP1
import ProcessTestSupport
import Testing

/// What the hub shares among callers, and the market routes, end to end against the mock (issue #18 item 14):
/// identical concurrent calls coalesced onto one send, immutable history served from the cache, `/v1/quotes`,
/// and a queued job cancelled over HTTP never reaching the broker.
@Suite("Hub end to end: sharing and market routes", .timeLimit(.minutes(5)), .serialized)
struct SharingTests {
    @Test func identicalConcurrentCallsShareOneSend() async throws {
        try await HubStack.with { stack in
            #expect(try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote("000660")).status == 200) // token issued
            try await stack.setFaults(#"{"latency_ms":400}"#)
            let answers = try await withThrowingTaskGroup(of: Web.Answer.self) { group in
                for _ in 0..<8 { group.addTask { try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote()) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.allSatisfy { $0.status == 200 && $0.json?["records"]?.arrayValue?.count == 1 }, "\(answers.map(\.status))")
            let coalesced = answers.filter { $0.json?["meta"]?["coalesced"] == .bool(true) }.count
            let requests = try await stack.mockStats()["requests"]?["FHKST01010100"]?.intValue ?? -1
            // The eight arrive within the first send's 400 ms: one send (plus the warm-up's), seven shared.
            #expect(requests == 2, "the broker saw \(requests - 1) sends for 8 identical calls")
            #expect(coalesced == 7, "\(coalesced) answers were shared")
            #expect(try await Web.get(stack.hub.url + "/v1/status").json?["coalesced"]?.intValue == 7)
        }
    }

    @Test func pastCandlesComeFromTheHistoryCache() async throws {
        try await HubStack.with { stack in
            let path = "/v1/candles/005930?provider=kis&interval=1d&from=20250101&to=20250630"
            let first = try await Web.get(stack.hub.url + path)
            #expect(first.status == 200, "\(first.text.prefix(300))")
            let candles = first.json?["candles"]?.arrayValue ?? []
            #expect(candles.count > 100, "\(candles.count) daily candles in the first half of 2025")
            let sends = try await stack.mockStats()["requests"]?["FHKST03010100"]?.intValue ?? -1
            #expect(sends >= 1)
            for _ in 0..<5 {
                let again = try await Web.get(stack.hub.url + path)
                let cached = again.json?["candles"]?.arrayValue ?? []
                let difference = zip(candles, cached).first { $0 != $1 }.map { "\(JSONWriter.serialize($0.0)) vs \(JSONWriter.serialize($0.1))" }
                #expect(again.status == 200 && cached.count == candles.count && difference == nil, "the cached answer differs: \(difference ?? "count")")
            }
            #expect(try await stack.mockStats()["requests"]?["FHKST03010100"]?.intValue == sends, "a past range is asked of the broker once")
            #expect((try await Web.get(stack.hub.url + "/v1/status").json?["cache_hits"]?.intValue ?? 0) >= 5)
            // Today's candles are still forming: never cached.
            let today = KSTDate(Date()).compact
            let todayPath = "/v1/candles/005930?provider=kis&interval=1d&from=\(today)&to=\(today)"
            for _ in 0..<2 { #expect(try await Web.get(stack.hub.url + todayPath).status == 200) }
            #expect(try await stack.mockStats()["requests"]?["FHKST03010100"]?.intValue == sends + 2, "today's range went to the broker each time")
        }
    }

    /// The broker-native proxy shares like `/v1/execute`: a past range asked again comes from the cache,
    /// identical calls in flight ride on one send, and a continuation (`tr_cont`) is another call.
    @Test func proxiedCallsShareTheCacheAndInFlightCalls() async throws {
        try await HubStack.with { stack in
            let token = try await Web.post(stack.hub.url + "/oauth2/tokenP", #"{"grant_type":"client_credentials","appkey":"a","appsecret":"b"}"#)
            let local = try #require(token.json?["access_token"]?.stringValue)
            func get(_ path: String, tr: String, extra: [(String, String)] = []) async throws -> Web.Answer {
                try await Web.get(stack.hub.url + path, headers: [("authorization", "Bearer \(local)"), ("tr_id", tr), ("custtype", "P")] + extra)
            }
            func sends(_ tr: String) async throws -> Int { try await stack.mockStats()["requests"]?[tr]?.intValue ?? 0 }
            let past = "/uapi/domestic-stock/v1/quotations/inquire-daily-itemchartprice?FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930&FID_INPUT_DATE_1=20250101&FID_INPUT_DATE_2=20250331&FID_PERIOD_DIV_CODE=D&FID_ORG_ADJ_PRC=0"
            let first = try await get(past, tr: "FHKST03010100")
            #expect(first.status == 200, "\(first.text.prefix(300))")
            let before = try await sends("FHKST03010100")
            for _ in 0..<3 {
                let again = try await get(past, tr: "FHKST03010100")
                #expect(again.status == 200 && again.text == first.text, "the cached answer is the broker's page as it came")
            }
            #expect(try await sends("FHKST03010100") == before, "a past range is asked of the broker once")
            _ = try await get(past, tr: "FHKST03010100", extra: [("tr_cont", "N")])
            #expect(try await sends("FHKST03010100") == before + 1, "a continuation is another call")
            // Quotes are never cached, but identical ones in flight share one send.
            let quote = "/uapi/domestic-stock/v1/quotations/inquire-price?FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930"
            #expect(try await get(quote, tr: "FHKST01010100").status == 200)
            try await stack.setFaults(#"{"latency_ms":400}"#)
            let quotesBefore = try await sends("FHKST01010100")
            let answers = try await withThrowingTaskGroup(of: Web.Answer.self) { group in
                for _ in 0..<6 { group.addTask { try await get(quote, tr: "FHKST01010100") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.allSatisfy { $0.status == 200 && $0.json?["output"]?["stck_shrn_iscd"]?.stringValue == "005930" })
            #expect(try await sends("FHKST01010100") == quotesBefore + 1, "six identical calls in flight, one send")
            try await stack.setFaults("{}")
            #expect(try await get(quote, tr: "FHKST01010100").status == 200)
            #expect(try await sends("FHKST01010100") == quotesBefore + 2, "a quote is never served from the cache")
        }
    }

    @Test func quotesForBothProviders() async throws {
        try await HubStack.with { stack in
            for provider in ["kis", "kiwoom"] {
                let answer = try await Web.get(stack.hub.url + "/v1/quotes/005930?provider=\(provider)")
                #expect(answer.status == 200, "\(provider): \(answer.text.prefix(300))")
                let quote = answer.json?["quote"]
                #expect(quote?["type"]?.stringValue == "quote" && quote?["symbol"]?.stringValue == "005930" && quote?["provider"]?.stringValue == provider, "\(answer.text.prefix(300))")
                #expect(quote?["source_type"]?.stringValue == "rest_quote")
            }
            let unknown = try await Web.get(stack.hub.url + "/v1/quotes/999999?provider=kis")
            #expect(unknown.status == 404 && unknown.json?["error"]?["code"]?.stringValue == "broker.not_found", "\(unknown.text)")
            let malformed = try await Web.get(stack.hub.url + "/v1/quotes/12?provider=kis")
            #expect(malformed.status == 400 && malformed.json?["error"]?["code"]?.stringValue == "request.invalid_argument", "\(malformed.text)")
            #expect(try await Web.get(stack.hub.url + "/v1/quotes/005930?provider=nyse").status == 400)
        }
    }

    @Test func aQueuedJobCancelledOverHTTPNeverReachesTheBroker() async throws {
        try await HubStack.with(hubEnvironment: ["BROKERHUB_WORKERS": "1"]) { stack in
            #expect(try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote()).status == 200) // token issued
            try await stack.setFaults(#"{"latency_ms":1500}"#)
            func submit(_ symbol: String) async throws -> String {
                let answer = try await Web.post(stack.hub.url + "/v1/jobs", #"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"\#(symbol)"}}"#)
                return try #require(answer.json?["id"]?.stringValue, "\(answer.text)")
            }
            let running = try await submit("000660")
            let queued = try await submit("035720")  // the only worker is busy for 1.5 s
            let cancelled = try await Web.send(.DELETE, stack.hub.url + "/v1/jobs/\(queued)")
            #expect(cancelled.status == 200 && cancelled.json?["state"]?.stringValue == "cancelled", "\(cancelled.text)")
            #expect(try await waitForJob(running, on: stack) == "succeeded")
            try await stack.setFaults("{}")
            // A later job runs: the worker moved past the cancelled one without sending it.
            #expect(try await waitForJob(try await submit("005380"), on: stack) == "succeeded")
            #expect(try await Web.get(stack.hub.url + "/v1/jobs/\(queued)").json?["state"]?.stringValue == "cancelled")
            let requests = try await stack.mockStats()["requests"]?["FHKST01010100"]?.intValue
            #expect(requests == 3, "warm-up, the running job and the later one; the cancelled one never sent (\(requests ?? -1))")
            #expect(try await Web.send(.DELETE, stack.hub.url + "/v1/jobs/no-such-job").status == 404)
        }
    }

    private func waitForJob(_ id: String, on stack: HubStack) async throws -> String {
        for _ in 0..<200 {
            let state = try await Web.get(stack.hub.url + "/v1/jobs/\(id)").json?["state"]?.stringValue ?? "missing"
            if ["succeeded", "failed", "cancelled"].contains(state) { return state }
            try await Task.sleep(for: .milliseconds(50))
        }
        return "unfinished"
    }
}
