import BrokerCore
import BrokerWire
import Foundation
import NIOHTTP1
import ProcessTestSupport
import Testing

@Suite("Hub end to end: API", .timeLimit(.minutes(5)), .serialized)
struct APITests {
    @Test func executeJobsAndIdempotency() async throws {
        let stack = try await HubStack.start()
        try await withCleanup({ await stack.stop() }) { () async throws in
            let execute = try await Web.post(stack.hub.url + "/v1/execute?raw=1", HubStack.quote("000660"))
            #expect(execute.status == 200)
            #expect(execute.json?["records"]?.arrayValue?.first?["symbol"]?.stringValue == "000660")
            #expect(execute.json?["meta"]?["attempts"]?.intValue == 1)
            #expect(execute.json?["raw"]?.arrayValue?.first?["rt_cd"]?.stringValue == "0")

            let job = #"{"provider":"kis","tr_id":"FHKST03010100","params":{"FID_INPUT_ISCD":"005930","FID_INPUT_DATE_1":"20240101","FID_INPUT_DATE_2":"20241231"},"priority":"backfill","max_pages":5,"idempotency_key":"test-job-1"}"#
            let first = try await Web.post(stack.hub.url + "/v1/jobs", job)
            #expect(first.status == 202)
            let id = try #require(first.json?["id"]?.stringValue)
            let again = try await Web.post(stack.hub.url + "/v1/jobs", job)
            #expect(again.status == 200)
            #expect(again.json?["id"]?.stringValue == id)
            var state = ""
            for _ in 0..<100 {
                let poll = try await Web.get(stack.hub.url + "/v1/jobs/\(id)")
                state = poll.json?["state"]?.stringValue ?? ""
                if state == "succeeded" {
                    let candles = poll.json?["result"]?["records"]?.arrayValue ?? []
                    #expect(candles.count > 200, "a year of daily candles over several pages")
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(state == "succeeded")
            let unknown = try await Web.get(stack.hub.url + "/v1/jobs/nope")
            #expect(unknown.status == 404)
        }
    }

    @Test func badInputGetsClearErrors() async throws {
        let stack = try await HubStack.start()
        try await withCleanup({ await stack.stop() }) { () async throws in
            let cases: [(String, Int, String)] = [
                (#"{"provider":"kis","tr_id":"FHKST99999999"}"#, 400, "request.unsupported_tr"),
                (#"{"provider":"kis","tr_id":"FHKST01010100","params":{}}"#, 400, "request.invalid_argument"),
                (#"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"12"}}"#, 400, "request.invalid_argument"),
                (#"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"005930","BOGUS":"1"}}"#, 400, "request.invalid_argument"),
                (#"{"provider":"nyse","tr_id":"X"}"#, 400, "request.invalid_argument"),
                (#"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"005930"},"priority":"urgent"}"#, 400, "request.invalid_argument"),
                (#"{"provider":"kis","tr_id":"FHKST01010100""#, 400, "request.invalid_argument"),
                (#"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"999999"}}"#, 404, "broker.not_found"),
                // Issue #18 item 13: wrong types, out-of-range numbers, duplicates and unknown members are refused, not defaulted.
                (#"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"005930"},"timeout_ms":1e23}"#, 400, "request.invalid_argument"),
                (#"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"005930"},"max_pages":9223372036854775808}"#, 400, "request.invalid_argument"),
                (#"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"005930"},"priority":3}"#, 400, "request.invalid_argument"),
                (#"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"005930"},"timeout_ms":"10"}"#, 400, "request.invalid_argument"),
                (#"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"005930"},"timeout":10}"#, 400, "request.invalid_argument"),
                (#"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"005930"},"tr_id":"FHKST03010100"}"#, 400, "request.invalid_argument"),
                (#"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":true}}"#, 400, "request.invalid_argument"),
                (#"{"provider":["kis"],"tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"005930"}}"#, 400, "request.invalid_argument"),
            ]
            for (body, status, code) in cases {
                let answer = try await Web.post(stack.hub.url + "/v1/execute", body)
                #expect(answer.status == status, "\(body): \(answer.text)")
                #expect(answer.json?["error"]?["code"]?.stringValue == code, "\(body): \(answer.text)")
                #expect((answer.json?["error"]?["message"]?.stringValue ?? "").isEmpty == false)
            }
            let stats = try await stack.mockStats()
            #expect(stats["requests"]?["FHKST01010100"]?.intValue == 1, "only the unknown symbol reached the broker")
        }
    }

    /// Issue #18 item 13: what Hummingbird answers itself has the documented body — 404 for no route, 405 with
    /// `Allow` for a wrong method, 413 for a body over the limit — and the broker's own shape on proxy paths.
    @Test func unmatchedRequestsGetTheDocumentedErrorBody() async throws {
        let stack = try await HubStack.start()
        try await withCleanup({ await stack.stop() }) { () async throws in
            let big = "{\"pad\":\"" + String(repeating: "x", count: 1_100_000) + "\"}"
            let cases: [(HTTPMethod, String, String?, Int, String, String?)] = [
                (.GET, "/v2/nothing", nil, 404, "request.no_route", nil),
                (.PUT, "/v1/execute", "{}", 405, "request.method_not_allowed", "POST"),
                (.DELETE, "/v1/catalog", nil, 405, "request.method_not_allowed", "GET"),
                (.PUT, "/v1/jobs/abc", nil, 405, "request.method_not_allowed", "DELETE, GET"),
                (.POST, "/v1/execute", big, 413, "request.too_large", nil),
            ]
            for (method, path, body, status, code, allow) in cases {
                let answer = try await Web.send(method, stack.hub.url + path, body: body)
                #expect(answer.status == status, "\(method) \(path): \(answer.status) \(answer.text.prefix(300))")
                #expect(answer.json?["error"]?["code"]?.stringValue == code, "\(method) \(path): \(answer.text.prefix(300))")
                #expect(answer.headers["allow"].first == allow, "\(method) \(path): Allow \(answer.headers["allow"])")
            }
            // Broker-native paths answer in the broker's shape.
            let kis = try await Web.send(.PUT, stack.hub.url + "/uapi/domestic-stock/v1/quotations/inquire-price", body: "{}")
            #expect(kis.status == 405 && kis.json?["rt_cd"]?.stringValue == "1" && kis.json?["msg_cd"]?.stringValue == "BHPROXY405", "\(kis.text)")
            let kiwoomToken = try #require(try await Web.post(stack.hub.url + "/kiwoom/oauth2/token", #"{"grant_type":"client_credentials","appkey":"a","secretkey":"b"}"#).json?["token"]?.stringValue)
            let kiwoom = try await Web.send(.POST, stack.hub.url + "/api/dostk/chart", headers: [("api-id", "ka10081"), ("authorization", "Bearer \(kiwoomToken)")], body: big)
            #expect(kiwoom.status == 413 && kiwoom.json?["return_code"]?.intValue == 2, "\(kiwoom.status) \(kiwoom.text.prefix(300))")
            let metrics = try await Web.get(stack.hub.url + "/metrics").text
            for code in ["request.no_route", "request.method_not_allowed", "request.too_large"] {
                #expect(metrics.contains(#"brokerhub_http_errors_total{code="\#(code)"}"#), "\(code) is counted")
            }
        }
    }

    @Test func apiKeysAreRequiredWhenConfigured() async throws {
        let stack = try await HubStack.start(hubEnvironment: ["BROKERHUB_API_KEYS": "k1,k2"])
        try await withCleanup({ await stack.stop() }) { () async throws in
            #expect(try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote()).status == 401)
            #expect(try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote(), headers: [("Authorization", "Bearer nope")]).status == 401)
            #expect(try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote(), headers: [("Authorization", "Bearer k2")]).status == 200)
            #expect(try await Web.get(stack.hub.url + "/v1/status", headers: [("X-API-Key", "k1")]).status == 200)
            #expect(try await Web.get(stack.hub.url + "/health").status == 200)
            // The proxy takes the key in X-API-Key (its clients send the broker's authorization header).
            #expect(try await Web.post(stack.hub.url + "/oauth2/tokenP", "{}").status == 401)
            #expect(try await Web.post(stack.hub.url + "/oauth2/tokenP", "{}", headers: [("X-API-Key", "k1")]).status == 200)
        }
    }

    @Test func brokerNativeProxySharesTheHubToken() async throws {
        let stack = try await HubStack.start()
        try await withCleanup({ await stack.stop() }) { () async throws in
            let token = try await Web.post(stack.hub.url + "/oauth2/tokenP", #"{"grant_type":"client_credentials","appkey":"any","appsecret":"any"}"#)
            let local = try #require(token.json?["access_token"]?.stringValue)
            #expect(local.hasPrefix("bh_"))
            let path = "/uapi/domestic-stock/v1/quotations/inquire-price?FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930"
            for prefix in ["", "/kis"] {
                let answer = try await Web.get(stack.hub.url + prefix + path, headers: [("authorization", "Bearer \(local)"), ("tr_id", "FHKST01010100"), ("appkey", "x"), ("appsecret", "y")])
                #expect(answer.status == 200, "\(answer.text)")
                #expect(answer.json?["output"]?["stck_shrn_iscd"]?.stringValue == "005930")
                #expect(answer.headers.first(name: "tr_cont") == "D")
            }
            let refused = try await Web.get(stack.hub.url + path, headers: [("authorization", "Bearer not-ours"), ("tr_id", "FHKST01010100")])
            #expect(refused.status == 500 && refused.json?["msg_cd"]?.stringValue == "EGW00121")
            let kiwoomToken = try #require(try await Web.post(stack.hub.url + "/kiwoom/oauth2/token", #"{"grant_type":"client_credentials","appkey":"a","secretkey":"b"}"#).json?["token"]?.stringValue)
            let chart = try await Web.post(stack.hub.url + "/api/dostk/chart", #"{"stk_cd":"005930","base_dt":"20250905","upd_stkpc_tp":"1"}"#, headers: [("api-id", "ka10081"), ("authorization", "Bearer \(kiwoomToken)")])
            #expect(chart.status == 200)
            #expect(chart.headers.first(name: "cont-yn") == "Y")
            #expect((chart.json?["stk_dt_pole_chart_qry"]?.arrayValue?.count ?? 0) == 600)
            let stats = try await stack.mockStats()
            #expect(stats["tokens_issued"]?.intValue == 1)
            #expect(try await stack.mockStats("kiwoom")["tokens_issued"]?.intValue == 1)
            // The broker's token never left the hub.
            #expect(!token.text.contains("eyJ0eXAi"))
        }
    }

    /// Issue #18 item 1: the proxy forwards only the catalogue's read transactions at their own paths. An
    /// order, the hashkey endpoint and the mock's control API are refused in the broker's shape however the
    /// path is spelled, and never reach the broker (one proxied order used to reach it four times).
    @Test func theProxyForwardsOnlyCatalogueReads() async throws {
        let stack = try await HubStack.start()
        try await withCleanup({ await stack.stop() }) { () async throws in
            let local = try #require(try await Web.post(stack.hub.url + "/oauth2/tokenP", #"{"grant_type":"client_credentials","appkey":"a","appsecret":"b"}"#).json?["access_token"]?.stringValue)
            let auth = [("authorization", "Bearer \(local)"), ("appkey", "x"), ("appsecret", "y")]
            func total() async throws -> Int {
                let requests = try await stack.mockStats()["requests"]?.objectValue ?? [:]
                return requests.values.reduce(0) { $0 + ($1.intValue ?? 0) }
            }
            let before = try await total()
            let order = #"{"CANO":"50000000","ACNT_PRDT_CD":"01","PDNO":"005930","ORD_DVSN":"00","ORD_QTY":"1","ORD_UNPR":"70000"}"#
            let refusals: [(String, String, String, String?)] = [
                ("POST", "/uapi/domestic-stock/v1/trading/order-cash", "TTTC0802U", order),
                ("POST", "/kis/uapi/domestic-stock/v1/trading/order-cash", "TTTC0802U", order),
                ("POST", "//uapi/domestic-stock/v1/trading/order-cash/", "TTTC0802U", order),
                ("POST", "/uapi/hashkey/", "FHKST01010100", order),
                ("POST", "//uapi//hashkey", "FHKST01010100", order),
                ("POST", "/kis/_mock/faults", "FHKST01010100", #"{"error_rate":1}"#),
                ("GET", "/uapi/domestic-stock/v1/quotations/%2e%2e/trading/order-cash", "FHKST01010100", nil),
                ("GET", "/uapi/domestic-stock/v1/trading/order-cash", "FHKST01010100", nil),
                ("POST", "/uapi/domestic-stock/v1/quotations/inquire-price", "FHKST01010100", "{}"),
            ]
            for (method, path, tr, body) in refusals {
                let answer = try await Web.send(method == "GET" ? .GET : .POST, stack.hub.url + path, headers: auth + [("tr_id", tr)], body: body)
                #expect(answer.status == 403, "\(method) \(path): \(answer.status) \(answer.text)")
                #expect(answer.json?["rt_cd"]?.stringValue == "1" && answer.json?["msg_cd"]?.stringValue == "BHPROXY403", "\(path): \(answer.text)")
            }
            let kiwoomToken = try #require(try await Web.post(stack.hub.url + "/kiwoom/oauth2/token", #"{"grant_type":"client_credentials","appkey":"a","secretkey":"b"}"#).json?["token"]?.stringValue)
            let kiwoomOrder = try await Web.post(stack.hub.url + "/api/dostk/ordr", #"{"dmst_stex_tp":"KRX","stk_cd":"005930","ord_qty":"1","trde_tp":"3"}"#, headers: [("api-id", "kt10000"), ("authorization", "Bearer \(kiwoomToken)")])
            #expect(kiwoomOrder.status == 403 && kiwoomOrder.json?["return_code"]?.intValue == 2, "\(kiwoomOrder.text)")
            #expect(try await total() == before, "nothing refused reached the broker")
            let metrics = try await Web.get(stack.hub.url + "/metrics").text
            #expect(metrics.contains("brokerhub_proxy_refused_total"))
            #expect(!metrics.contains("TTTC0802U"), "no caller-chosen label")
            // The real approval key is not handed out (it opens the key's only realtime session).
            let approval = try await Web.post(stack.hub.url + "/oauth2/Approval", #"{"grant_type":"client_credentials","appkey":"a","secretkey":"b"}"#)
            #expect(approval.status == 403 && approval.json?["error_code"]?.stringValue == "BHPROXY403", "\(approval.text)")
            #expect(approval.json?["approval_key"] == nil)
            #expect(try await stack.mockStats()["approval_keys_issued"]?.intValue ?? 0 == 0)
            // The same read, spelled with doubled and trailing slashes, is still served.
            let quote = try await Web.get(stack.hub.url + "/uapi//domestic-stock/v1/quotations/inquire-price/?FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930", headers: auth + [("tr_id", "FHKST01010100")])
            #expect(quote.status == 200, "\(quote.text)")
        }
    }

    /// Issue #18 item 1: with orders switched on, a proxied order reaches the broker exactly once — accepted,
    /// or against a failing or hanging broker answered "outcome unknown" (504) instead of being resent.
    @Test func ordersAreSentAtMostOnce() async throws {
        let stack = try await HubStack.start(hubEnvironment: ["BROKERHUB_PROXY_ORDERS": "true"])
        try await withCleanup({ await stack.stop() }) { () async throws in
            let local = try #require(try await Web.post(stack.hub.url + "/oauth2/tokenP", #"{"grant_type":"client_credentials","appkey":"a","appsecret":"b"}"#).json?["access_token"]?.stringValue)
            let headers = [("authorization", "Bearer \(local)"), ("appkey", "x"), ("appsecret", "y"), ("tr_id", "TTTC0802U")]
            let order = #"{"CANO":"50000000","ACNT_PRDT_CD":"01","PDNO":"005930","ORD_DVSN":"00","ORD_QTY":"1","ORD_UNPR":"70000"}"#
            func place(_ extra: [(String, String)] = [], body: String = order) async throws -> Web.Answer {
                try await Web.send(.POST, stack.hub.url + "/uapi/domestic-stock/v1/trading/order-cash", headers: headers + extra, body: body)
            }
            func received() async throws -> Int { try await stack.mockStats()["orders_received"]?.intValue ?? -1 }
            let accepted = try await place()
            #expect(accepted.status == 200, "\(accepted.text)")
            #expect(accepted.json?["rt_cd"]?.stringValue == "0" && accepted.json?["output"]?["ODNO"]?.stringValue != nil)
            #expect(try await received() == 1)
            // Invalid before sending: nothing reaches the broker.
            #expect(try await place(body: #"{"CANO":"50000000"}"#).status == 400)
            let viaExecute = try await Web.post(stack.hub.url + "/v1/execute", #"{"provider":"kis","tr_id":"TTTC0802U","params":{"PDNO":"005930"}}"#)
            #expect(viaExecute.status == 400, "orders never go through /v1/execute: \(viaExecute.text)")
            #expect(try await received() == 1)
            // A failing broker: one send, an explicit "outcome unknown", no retry.
            try await stack.setFaults(#"{"server_error_rate":1.0}"#)
            let failing = try await place()
            #expect(failing.status == 504 && failing.json?["msg_cd"]?.stringValue == "BHORDER504", "\(failing.text)")
            #expect(try await received() == 2, "sent once, never retried")
            // A hanging broker: the caller's timeout ends it, still one send.
            try await stack.setFaults(#"{"hang_rate":1.0,"hang_seconds":3}"#)
            let hanging = try await place([("X-BrokerHub-Timeout-Ms", "800")])
            #expect(hanging.status == 504, "\(hanging.text)")
            try await stack.setFaults("{}")
            #expect(try await received() == 3)
            let metrics = try await Web.get(stack.hub.url + "/metrics").text
            #expect(metrics.contains(#"brokerhub_orders_total{outcome="unknown",provider="kis"} 2"#) || metrics.contains(#"brokerhub_orders_total{provider="kis",outcome="unknown"} 2"#), "\(metrics.split(separator: "\n").filter { $0.contains("orders") })")
        }
    }

    /// Issue #18 item 7: an idempotency key reused for another request is a 409, never the first one's result.
    @Test func anIdempotencyKeyNamesOneRequest() async throws {
        let stack = try await HubStack.start()
        try await withCleanup({ await stack.stop() }) { () async throws in
            func job(_ provider: String, _ transaction: String, _ parameters: String) async throws -> Web.Answer {
                try await Web.post(stack.hub.url + "/v1/jobs", #"{"provider":"\#(provider)","tr_id":"\#(transaction)","params":\#(parameters),"idempotency_key":"same-key"}"#)
            }
            #expect(try await job("kis", "FHKST01010100", #"{"FID_INPUT_ISCD":"005930"}"#).status == 202)
            #expect(try await job("kis", "FHKST01010100", #"{"FID_INPUT_ISCD":"005930"}"#).status == 200, "the same request again")
            let other = try await job("kis", "FHKST01010100", #"{"FID_INPUT_ISCD":"000660"}"#)
            #expect(other.status == 409 && other.json?["error"]?["code"]?.stringValue == "hub.idempotency_conflict", "\(other.text)")
            #expect(try await job("kiwoom", "ka10001", #"{"stk_cd":"005930"}"#).status == 409, "across providers too")
        }
    }

    /// Issue #18 item 7: idempotency keys are scoped per caller (API key): another caller's same key is its own
    /// job, never the first caller's result, and each sees the key as it sent it.
    @Test func idempotencyKeysAreScopedPerCaller() async throws {
        let stack = try await HubStack.start(hubEnvironment: ["BROKERHUB_API_KEYS": "k1,k2"])
        try await withCleanup({ await stack.stop() }) { () async throws in
            func job(_ key: String, _ symbol: String) async throws -> Web.Answer {
                try await Web.post(stack.hub.url + "/v1/jobs", #"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"\#(symbol)"},"idempotency_key":"shared-key"}"#, headers: [("X-API-Key", key)])
            }
            let first = try await job("k1", "005930")
            let second = try await job("k2", "000660")
            #expect(first.status == 202 && second.status == 202, "\(first.text) \(second.text)")
            let firstID = try #require(first.json?["id"]?.stringValue)
            let secondID = try #require(second.json?["id"]?.stringValue)
            #expect(firstID != secondID, "the second caller got the first caller's job")
            #expect(second.json?["idempotency_key"]?.stringValue == "shared-key", "\(second.text)")
            let again = try await job("k1", "005930")
            #expect(again.status == 200 && again.json?["id"]?.stringValue == firstID, "\(again.text)")
            #expect(try await job("k2", "005930").status == 409, "within one caller the key still names one request")
            let seen = try await Web.get(stack.hub.url + "/v1/jobs/\(secondID)", headers: [("X-API-Key", "k2")])
            #expect(seen.json?["idempotency_key"]?.stringValue == "shared-key", "\(seen.text)")
        }
    }

    /// Issue #18 item 8: an unknown account, or another provider's, is a 400 — never the default account, never
    /// a KIS request sent with the Kiwoom token — and nothing reaches the broker.
    /// Issue #18 item 9: each priority class has its own queue limit, so a backfill flood is refused (429)
    /// while interactive work is still taken.
    @Test func aBackfillFloodNeverGetsInteractiveWorkRefused() async throws {
        let stack = try await HubStack.start(hubEnvironment: ["BROKERHUB_QUEUE_LIMIT": "3", "BROKERHUB_WORKERS": "1"])
        try await withCleanup({ await stack.stop() }) { () async throws in
            try await stack.setFaults(#"{"hang_rate":1.0,"hang_seconds":5}"#)  // the one worker is held; the rest waits
            func submit(_ priority: String, _ index: Int) async throws -> Web.Answer {
                let body = #"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"005930"},"priority":"\#(priority)","idempotency_key":"\#(priority)-\#(index)"}"#
                return try await Web.post(stack.hub.url + "/v1/jobs", body)
            }
            var refused: Web.Answer?
            for index in 0..<10 {
                let answer = try await submit("backfill", index)
                if answer.status == 429 {
                    refused = answer
                    break
                }
                #expect(answer.status == 202, "\(answer.text)")
            }
            let flood = try #require(refused, "the backfill class filled up")
            #expect(flood.json?["error"]?["code"]?.stringValue == "hub.queue_full")
            #expect(flood.text.contains("backfill"))
            let interactive = try await submit("interactive", 0)
            #expect(interactive.status == 202, "interactive work is admitted while backfill is full: \(interactive.text)")
            try await stack.setFaults("{}")
        }
    }

    /// Issue #18 item 6: a web page cannot drive a hub that has no API keys — not through DNS rebinding (a
    /// foreign `Host`), not from its own origin (`Origin`), not with a "simple" `text/plain` POST — and the
    /// dashboard carries a content security policy.
    @Test func webPagesCannotDriveTheHub() async throws {
        let stack = try await HubStack.start(hubEnvironment: ["BROKERHUB_ALLOWED_HOSTS": "hub.internal"])
        try await withCleanup({ await stack.stop() }) { () async throws in
            let body = #"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"005930"}}"#
            let url = stack.hub.url + "/v1/execute"
            let port = try #require(URL(string: stack.hub.url)?.port)
            let refused: [([(String, String)], Int, String)] = [
                ([("host", "attacker.example:\(port)")], 403, "hub.forbidden"),
                ([("origin", "http://attacker.example")], 403, "hub.forbidden"),
                ([("origin", "null")], 403, "hub.forbidden"),
                ([("content-type", "text/plain")], 415, "request.unsupported_media_type"),
                ([("content-type", "application/x-www-form-urlencoded")], 415, "request.unsupported_media_type"),
            ]
            for (headers, status, code) in refused {
                let answer = try await Web.post(url, body, headers: headers)
                #expect(answer.status == status, "\(headers): \(answer.status) \(answer.text)")
                #expect(answer.json?["error"]?["code"]?.stringValue == code, "\(headers): \(answer.text)")
            }
            #expect(try await stack.mockStats()["requests"]?["FHKST01010100"]?.intValue ?? 0 == 0, "nothing reached the broker")
            for headers in [[("origin", "http://127.0.0.1:\(port)")], [("host", "hub.internal:\(port)"), ("origin", "http://hub.internal:\(port)")], []] {
                let answer = try await Web.post(url, body, headers: headers)
                #expect(answer.status == 200, "\(headers): \(answer.status) \(answer.text)")
            }
            #expect(try await Web.get(stack.hub.url + "/health", headers: [("host", "attacker.example")]).status == 200, "probes answer whatever the Host")
            let dashboard = try await Web.get(stack.hub.url + "/dashboard")
            #expect(dashboard.headers["content-security-policy"].first?.contains("frame-ancestors 'none'") == true)
            #expect(dashboard.headers["x-frame-options"].first == "DENY")
            let metrics = try await Web.get(stack.hub.url + "/metrics").text
            #expect(metrics.contains(#"brokerhub_http_errors_total{code="hub.forbidden"} 3"#), "every refusal is counted")
            #expect(metrics.contains(#"brokerhub_http_errors_total{code="request.unsupported_media_type"} 2"#))
        }
    }

    /// Issue #18 item 6: with API keys the dashboard is usable — a login page, not a 401 error — and the key is
    /// kept in an HttpOnly, SameSite=Strict cookie that reads the dashboard and /v1/status and nothing else.
    @Test func theDashboardSignsInWithAnAPIKey() async throws {
        let stack = try await HubStack.start(hubEnvironment: ["BROKERHUB_API_KEYS": "k1,k2"])
        try await withCleanup({ await stack.stop() }) { () async throws in
            let form = [("content-type", "application/x-www-form-urlencoded")]
            let page = try await Web.get(stack.hub.url + "/dashboard")
            #expect(page.status == 401 && page.text.contains("action=\"/dashboard/login\"") && page.headers["content-type"].first?.hasPrefix("text/html") == true, "\(page.text.prefix(200))")
            let wrong = try await Web.send(.POST, stack.hub.url + "/dashboard/login", headers: form, body: "key=k3")
            #expect(wrong.status == 401 && wrong.text.contains("not one of this hub"), "\(wrong.status)")
            // Only the login form is taken (schemathesis found a bodiless POST answered 303 on a hub without keys).
            let bodiless = try await Web.send(.POST, stack.hub.url + "/dashboard/login", headers: form, followRedirects: false)
            #expect(bodiless.status == 400 && bodiless.text.contains("request.invalid_argument"), "\(bodiless.status) \(bodiless.text)")
            let json = try await Web.send(.POST, stack.hub.url + "/dashboard/login", headers: [("content-type", "application/json")], body: #"{"key":"k2"}"#, followRedirects: false)
            #expect(json.status == 415, "\(json.status)")
            let foreign = try await Web.send(.POST, stack.hub.url + "/dashboard/login", headers: form + [("origin", "http://evil.example")], body: "key=k2")
            #expect(foreign.status == 403, "a login form on another site is refused")
            let signedIn = try await Web.send(.POST, stack.hub.url + "/dashboard/login", headers: form + [("origin", stack.hub.url)], body: "key=k2", followRedirects: false)
            let cookie = signedIn.headers["set-cookie"].first ?? ""
            #expect(signedIn.status == 303 && signedIn.headers["location"].first == "/dashboard", "\(signedIn.status)")
            #expect(cookie.hasPrefix("brokerhub_key=k2;") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "\(cookie)")
            let session = [("cookie", "brokerhub_key=k2")]
            let dashboard = try await Web.get(stack.hub.url + "/dashboard", headers: session)
            #expect(dashboard.status == 200 && dashboard.text.contains("<title>BrokerHub</title>"))
            #expect(try await Web.get(stack.hub.url + "/v1/status", headers: session).status == 200, "the page reads the status")
            // The cookie is for reading the dashboard only.
            #expect(try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote(), headers: session).status == 401)
            #expect(try await Web.get(stack.hub.url + "/v1/catalog", headers: session).status == 401)
            #expect(try await Web.get(stack.hub.url + "/metrics", headers: session).status == 401)
            let signedOut = try await Web.send(.POST, stack.hub.url + "/dashboard/logout", headers: session + [("origin", stack.hub.url)], followRedirects: false)
            #expect(signedOut.status == 303 && (signedOut.headers["set-cookie"].first ?? "").contains("Max-Age=0"))
            #expect(!stack.hub.output.contains("k2;") && !stack.hub.output.contains("key=k2"), "the key never reaches the log")
        }
    }

    @Test func accountsAreChecked() async throws {
        let stack = try await HubStack.start()
        try await withCleanup({ await stack.stop() }) { () async throws in
            let kiwoom = "kiwoom:\(stack.environment["BROKERHUB_KIWOOM_APPKEY"]!):default"
            let kis = "kis:\(stack.kisAppKey):50000000-01"
            func execute(_ account: String) async throws -> Web.Answer {
                try await Web.post(stack.hub.url + "/v1/execute", #"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"005930"},"account":"\#(account)"}"#)
            }
            for account in ["kis:nope:1", kiwoom] {
                let answer = try await execute(account)
                #expect(answer.status == 400, "\(account): \(answer.status) \(answer.text)")
                #expect(!answer.text.contains(stack.kisAppKey), "no app key in the error")
            }
            let job = try await Web.post(stack.hub.url + "/v1/jobs", #"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"005930"},"account":"\#(kiwoom)"}"#)
            #expect(job.status == 400, "\(job.text)")
            #expect(try await stack.mockStats()["requests"]?["FHKST01010100"]?.intValue ?? 0 == 0)
            #expect(try await execute(kis).status == 200, "the account named by its identity works")
        }
    }

    /// Issue #12 item 5: one-minute candles of past days through `/v1/candles` (FHKST03010230, one call a
    /// trading day, walked back 120 rows at a time) and through the proxy.
    @Test func minuteCandlesOfPastDays() async throws {
        let stack = try await HubStack.start()
        try await withCleanup({ await stack.stop() }) { () async throws in
            let calendar = KRXCalendar()
            // The mock holds its market open: before 09:00 KST (or on a holiday) its "today" is the last trading
            // day, still forming. Past days for both the mock and the hub are the ones before that.
            let now = Date()
            let date = KSTDate(now)
            let mockToday = calendar.isTradingDay(date) && KST.secondOfDay(now) >= 9 * 3600 ? date : calendar.previousTradingDay(before: date)
            let yesterday = calendar.previousTradingDay(before: mockToday)
            let before = calendar.previousTradingDay(before: yesterday)
            let answer = try await Web.get(stack.hub.url + "/v1/candles/005930?interval=1m&from=\(before.compact)&to=\(yesterday.compact)")
            #expect(answer.status == 200, "\(answer.text.prefix(300))")
            let candles = answer.json?["candles"]?.arrayValue ?? []
            let starts = candles.compactMap { $0["start"]?.stringValue }
            #expect(candles.count >= 760, "two whole days of minutes, got \(candles.count)")
            #expect(starts == starts.sorted() && Set(starts).count == starts.count, "oldest first, no minute twice")
            #expect(Set(starts.map { $0.prefix(10) }).count == 2)
            #expect(candles.allSatisfy { $0["interval"]?.stringValue == "1m" })
            #expect(answer.json?["pages"]?.intValue == 8, "4 pages of 120 a day")
            let stats = try await stack.mockStats()
            #expect(stats["requests"]?["FHKST03010230"]?.intValue == 8)
            // Asked again: immutable past days come from the history cache.
            let again = try await Web.get(stack.hub.url + "/v1/candles/005930?interval=1m&from=\(before.compact)&to=\(yesterday.compact)")
            #expect(again.json?["candles"]?.arrayValue?.count == candles.count)
            #expect(try await stack.mockStats()["requests"]?["FHKST03010230"]?.intValue == 8)
            // A range too long for minutes, and an interval no KIS TR serves, are clear errors.
            let long = try await Web.get(stack.hub.url + "/v1/candles/005930?interval=1m&from=20260101&to=20260301")
            #expect(long.status == 400 && long.text.contains("31 days"), "\(long.text)")
            #expect(try await Web.get(stack.hub.url + "/v1/candles/005930?interval=5m").status == 400)
            // The proxy forwards the catalogued read.
            let local = try #require(try await Web.post(stack.hub.url + "/oauth2/tokenP", #"{"grant_type":"client_credentials","appkey":"a","appsecret":"b"}"#).json?["access_token"]?.stringValue)
            let proxied = try await Web.get(
                stack.hub.url + "/uapi/domestic-stock/v1/quotations/inquire-time-dailychartprice?FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930&FID_INPUT_DATE_1=\(yesterday.compact)&FID_INPUT_HOUR_1=&FID_PW_DATA_INCU_YN=Y&FID_FAKE_TICK_INCU_YN=",
                headers: [("authorization", "Bearer \(local)"), ("appkey", "x"), ("appsecret", "y"), ("tr_id", "FHKST03010230")]
            )
            #expect(proxied.status == 200, "\(proxied.text.prefix(300))")
            #expect(proxied.json?["output2"]?.arrayValue?.count == 120)
        }
    }

    @Test func operationsEndpoints() async throws {
        let stack = try await HubStack.start()
        try await withCleanup({ await stack.stop() }) { () async throws in
            _ = try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote())
            let metrics = try await Web.get(stack.hub.url + "/metrics")
            #expect(metrics.status == 200)
            for name in ["brokerhub_queue_depth", "brokerhub_breaker_state", "brokerhub_budget_utilisation", "brokerhub_tokens_issued_total", "brokerhub_broker_requests_total", "brokerhub_token_expiry_seconds"] {
                #expect(metrics.text.contains(name), "missing \(name)")
            }
            #expect(try await Web.get(stack.hub.url + "/ready").status == 200)
            let status = try #require(try await Web.get(stack.hub.url + "/v1/status").json)
            #expect(status["providers"]?.arrayValue?.count == 2)
            #expect(try await Web.get(stack.hub.url + "/dashboard").text.contains("<title>BrokerHub</title>"))
            let openAPI = try #require(try await Web.get(stack.hub.url + "/openapi.json").json)
            // Issue #18 item 13: every route is described, the root proxy paths included; the probes need no key.
            let paths = Set(openAPI["paths"]?.objectValue?.keys.map { $0 } ?? [])
            #expect(paths == ["/v1/execute", "/v1/jobs", "/v1/jobs/{id}", "/v1/quotes/{symbol}", "/v1/candles/{symbol}", "/v1/trades/{symbol}", "/v1/catalog", "/v1/status", "/v1/stream",
                              "/health", "/ready", "/metrics", "/dashboard", "/dashboard/login", "/dashboard/logout", "/openapi.json",
                              "/kis/{path}", "/kiwoom/{path}", "/uapi/{path}", "/api/dostk/{path}", "/oauth2/{endpoint}"], "\(paths.sorted())")
            for probe in ["/health", "/ready"] { #expect(openAPI["paths"]?[probe]?["get"]?["security"] == .array([])) }
            #expect(try await Web.get(stack.hub.url + "/v1/catalog").json?.arrayValue?.count ?? 0 >= 11)
            // The trades backfill recovers from: KIS's last 30, oldest first, as tick records; a bad symbol is a 400.
            let trades = try #require(try await Web.get(stack.hub.url + "/v1/trades/005930?provider=kis").json?["trades"]?.arrayValue)
            #expect(trades.count == 30 && trades.allSatisfy { $0["type"]?.stringValue == "tick" }, "\(trades.prefix(2))")
            #expect(try await Web.get(stack.hub.url + "/v1/trades/ABC!?provider=kis").status == 400)
        }
    }

    @Test func secretsAndTokensNeverReachTheLogs() async throws {
        let stack = try await HubStack.start(mockArguments: ["--token-interval", "0.2"], hubEnvironment: ["BROKERHUB_LOG_LEVEL": "trace"])
        _ = try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote())
        try await Task.sleep(for: .milliseconds(300)) // past the mock's token interval, so the re-issue is not refused
        _ = try await Web.post(stack.mock.url + "/_mock/expire-tokens", "")
        _ = try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote("000660"))
        _ = try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote("999999"))
        await stack.stop()
        let log = stack.hub.output
        #expect(log.contains("token issued"))
        #expect(!log.contains(stack.kisSecret))
        #expect(!log.contains(stack.kisAppKey))
        #expect(!log.contains("eyJ0eXAi"), "a KIS token value reached the log")
    }
}
