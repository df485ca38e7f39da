import BrokerCore
import BrokerWire
import Foundation
import MockBroker
import Testing

@Suite("Mock broker: KIS REST", .timeLimit(.minutes(5)), .serialized)
struct KISRestTests {
    @Test func tokenIssuanceRules() async throws {
        try await MockHarness.run { broker, base in
            let key = MockHarness.key(broker, .kis)
            let first = try await MockHarness.kisToken(base, key)
            #expect(first.status == 200)
            let token = try #require(first.json?["access_token"]?.stringValue)
            #expect(first.json?["token_type"]?.stringValue == "Bearer")
            let expiry = try #require(first.json?["access_token_token_expired"]?.stringValue)
            #expect(KST.parseDashedDateTime(expiry) != nil)
            // A second request within the interval: EGW00133 in the OAuth shape.
            let refused = try await MockHarness.kisToken(base, key)
            #expect(refused.status == 403)
            #expect(refused.json?["error_code"]?.stringValue == "EGW00133")
            #expect(refused.json?["rt_cd"] == nil)
            // Later, within 6 h: the same token again.
            try await Task.sleep(for: .milliseconds(400))
            let again = try await MockHarness.kisToken(base, key)
            #expect(again.json?["access_token"]?.stringValue == token)
            let stats = try await MockHarness.stats(base)
            #expect(stats["kis"]?["tokens_issued"]?.intValue == 1)
            #expect(stats["kis"]?["tokens_reused"]?.intValue == 1)
        }
    }

    /// KIS issues at most one WebSocket approval key a second per app key; faster requests get EGW00201.
    @Test func approvalKeysAtMostOneASecondPerKey() async throws {
        let configuration = MockHarness.configuration { $0.kisApprovalIssueInterval = .milliseconds(300) }
        try await MockHarness.run(configuration) { broker, base in
            let keys = broker.configuration.credentials.keys.filter { $0.provider == .kis }
            try #require(keys.count >= 2)
            func approval(_ key: MockCredentials.Key) async throws -> MockHarness.Answer {
                try await MockHarness.send(.POST, base + "/oauth2/Approval", body: #"{"grant_type":"client_credentials","appkey":"\#(key.appKey)","secretkey":"\#(key.secret)"}"#)
            }
            #expect(try await approval(keys[0]).json?["approval_key"]?.stringValue != nil)
            let refused = try await approval(keys[0])
            #expect(refused.status == 500)
            #expect(refused.json?["msg_cd"]?.stringValue == "EGW00201")
            #expect(refused.json?["rt_cd"]?.stringValue == "1")
            // Another app key is not held back; the same one is served again after the interval.
            #expect(try await approval(keys[1]).status == 200)
            try await Task.sleep(for: .milliseconds(350))
            #expect(try await approval(keys[0]).status == 200)
            let stats = try await MockHarness.stats(base)
            #expect(stats["kis"]?["approval_keys_issued"]?.intValue == 3)
            #expect(stats["kis"]?["approval_keys_rejected"]?.intValue == 1)
            #expect(stats["kis"]?["errors"]?["EGW00201"]?.intValue == 1)
        }
    }

    @Test func wrongCredentialsGetTheRealCodes() async throws {
        try await MockHarness.run { broker, base in
            let key = MockHarness.key(broker, .kis)
            let unknown = try await MockHarness.send(.POST, base + "/oauth2/tokenP", body: #"{"grant_type":"client_credentials","appkey":"PSnope","appsecret":"x"}"#)
            #expect(unknown.status == 403 && unknown.json?["error_code"]?.stringValue == "EGW00103")
            let badSecret = try await MockHarness.send(.POST, base + "/oauth2/tokenP", body: #"{"grant_type":"client_credentials","appkey":"\#(key.appKey)","appsecret":"wrong"}"#)
            #expect(badSecret.json?["error_code"]?.stringValue == "EGW00105")
            let token = try await MockHarness.kisAccessToken(base, key)
            let noBearer = try await MockHarness.send(.GET, base + KISTransaction.quote.path + "?FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930", headers: [
                ("authorization", "Basic \(token)"), ("appkey", key.appKey), ("appsecret", key.secret), ("tr_id", "FHKST01010100"),
            ])
            #expect(noBearer.status == 500 && noBearer.json?["msg_cd"]?.stringValue == "EGW00205")
            let badToken = try await MockHarness.kisGet(base, key, token: "nope", .quote, "FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930")
            #expect(badToken.status == 500 && badToken.json?["msg_cd"]?.stringValue == "EGW00121")
            let wrongTR = try await MockHarness.send(.GET, base + KISTransaction.quote.path + "?FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930", headers: [
                ("authorization", "Bearer \(token)"), ("appkey", key.appKey), ("appsecret", key.secret), ("tr_id", "FHKST99999999"),
            ])
            #expect(wrongTR.json?["msg_cd"]?.stringValue == "OPSQ0002")
            let unknownPath = try await MockHarness.send(.GET, base + "/uapi/domestic-stock/v1/quotations/nothing-here")
            #expect(unknownPath.status == 404 && unknownPath.json?["msg_cd"]?.stringValue == "MCA00124")
            let badMarket = try await MockHarness.kisGet(base, key, token: token, .quote, "FID_COND_MRKT_DIV_CODE=X&FID_INPUT_ISCD=005930")
            #expect(badMarket.json?["msg_cd"]?.stringValue == "OPSQ2001")
        }
    }

    @Test func headersAndQueryNamesInAnyCaseAndDoubleSlash() async throws {
        try await MockHarness.run { broker, base in
            let key = MockHarness.key(broker, .kis)
            let token = try await MockHarness.kisAccessToken(base, key)
            let answer = try await MockHarness.send(.GET, base + "//uapi/domestic-stock/v1/quotations/inquire-price?fid_cond_mrkt_div_code=J&fid_input_iscd=005930", headers: [
                ("Authorization", "Bearer \(token)"), ("appKey", key.appKey), ("AppSecret", key.secret), ("TR_ID", "FHKST01010100"),
            ])
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.headers.first(name: "tr_cont") == "D")
            #expect(answer.headers.first(name: "gt_uid")?.count == 32)
            let batch = try KISRestNormalizer.normalize(trID: "FHKST01010100", body: answer.body, context: .init())
            guard case .quote(let quote) = try #require(batch.records.first) else { Issue.record("no quote"); return }
            let samsung = try #require(broker.market.universe["005930"])
            let snapshot = try #require(broker.market.snapshot(samsung, at: broker.marketNow))
            #expect(quote.symbol == "005930")
            #expect(quote.previousClose == snapshot.previousClose)
            #expect(quote.upperLimit == snapshot.upperLimit)
            #expect(KRXPriceRules.isValid(quote.price))
        }
    }

    @Test func everyQuotationTRNormalises() async throws {
        try await MockHarness.run { broker, base in
            let key = MockHarness.key(broker, .kis)
            let token = try await MockHarness.kisAccessToken(base, key)
            let cases: [(KISTransaction, String, RequestParameters)] = [
                (.quote, "FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=000660", [:]),
                (.dailyPrice, "FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=000660&FID_PERIOD_DIV_CODE=D&FID_ORG_ADJ_PRC=1", ["FID_INPUT_ISCD": "000660"]),
                (.periodChart, "FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=000660&FID_INPUT_DATE_1=20250101&FID_INPUT_DATE_2=20250905&FID_PERIOD_DIV_CODE=D&FID_ORG_ADJ_PRC=0", ["FID_PERIOD_DIV_CODE": "D"]),
                (.minuteChart, "FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=000660&FID_INPUT_HOUR_1=235959&FID_PW_DATA_INCU_YN=Y&FID_ETC_CLS_CODE=", ["FID_INPUT_ISCD": "000660"]),
                (.recentTrades, "FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=000660", ["FID_INPUT_ISCD": "000660"]),
                (.multiQuote, "FID_COND_MRKT_DIV_CODE_1=J&FID_INPUT_ISCD_1=000660&FID_COND_MRKT_DIV_CODE_2=J&FID_INPUT_ISCD_2=999999&FID_COND_MRKT_DIV_CODE_3=J&FID_INPUT_ISCD_3=005930", [:]),
            ]
            for (transaction, query, parameters) in cases {
                let answer = try await MockHarness.kisGet(base, key, token: token, transaction, query)
                #expect(answer.status == 200, "\(transaction): \(answer.text.prefix(200))")
                let batch = try KISRestNormalizer.normalize(trID: transaction.rawValue, body: answer.body, context: .init(parameters: parameters))
                #expect(!batch.records.isEmpty, "\(transaction) gave no records")
                switch transaction {
                case .periodChart:
                    #expect(batch.records.count == 100)
                    #expect(answer.headers.first(name: "tr_cont") == "M")
                case .minuteChart, .recentTrades: #expect(batch.records.count == 30)
                case .dailyPrice: #expect(batch.records.count == 30)
                case .multiQuote:
                    #expect(batch.records.count == 2)
                    #expect(batch.skipped.count == 1)
                default: break
                }
            }
        }
    }

    @Test func candlesAgreeWithTrades() async throws {
        try await MockHarness.run { broker, base in
            let key = MockHarness.key(broker, .kis)
            let token = try await MockHarness.kisAccessToken(base, key)
            let day = try #require(broker.market.sessionDay(onOrBefore: KSTDate(broker.marketNow).adding(days: -1)))
            let answer = try await MockHarness.kisGet(base, key, token: token, .periodChart, "FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930&FID_INPUT_DATE_1=\(day.compact)&FID_INPUT_DATE_2=\(day.compact)&FID_PERIOD_DIV_CODE=D&FID_ORG_ADJ_PRC=0")
            let batch = try KISRestNormalizer.normalize(trID: "FHKST03010100", body: answer.body, context: .init())
            guard case .candle(let candle) = try #require(batch.records.first) else { Issue.record("no candle"); return }
            let samsung = try #require(broker.market.universe["005930"])
            let session = try #require(broker.market.session(samsung, on: day))
            #expect(candle.open == session.prices.first && candle.close == session.prices.last)
            #expect(candle.high == session.prices.max() && candle.low == session.prices.min())
            #expect(candle.volume == session.cumulativeVolume.last)
        }
    }

    @Test func burstAboveTheLimitIsRefusedAndCounted() async throws {
        let configuration = MockHarness.configuration { $0.limits.kisRealPerSecond = 5 }
        try await MockHarness.run(configuration) { broker, base in
            let key = MockHarness.key(broker, .kis)
            let token = try await MockHarness.kisAccessToken(base, key)
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<15 {
                    group.addTask {
                        let answer = try await MockHarness.kisGet(base, key, token: token, .quote, "FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930")
                        return (answer.status, answer.json?["msg_cd"]?.stringValue)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let refused = statuses.filter { $0.0 == 500 }
            let accepted = statuses.filter { $0.0 == 200 }.count
            #expect(accepted == 5)
            #expect(refused.count == 10)
            let codes = Set(refused.map { $0.1 })
            #expect(codes == ["EGW00201"])
            let stats = try await MockHarness.stats(base)
            #expect(stats["kis"]?["rate_limit_violations"]?.intValue == 10)
        }
    }

    @Test func earlyTokenExpiryAndServerErrors() async throws {
        try await MockHarness.run { broker, base in
            let key = MockHarness.key(broker, .kis)
            let token = try await MockHarness.kisAccessToken(base, key)
            let expired = try await MockHarness.send(.POST, base + "/_mock/expire-tokens?provider=kis")
            #expect(expired.json?["expired"]?.intValue == 1)
            let answer = try await MockHarness.kisGet(base, key, token: token, .quote, "FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930")
            #expect(answer.status == 500 && answer.json?["msg_cd"]?.stringValue == "EGW00123")
            let faults = try await MockHarness.send(.POST, base + "/_mock/faults", body: #"{"server_error_rate":1.0}"#)
            #expect(faults.status == 200)
            let failing = try await MockHarness.kisGet(base, key, token: token, .quote, "FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930")
            #expect([500, 502, 503].contains(failing.status))
            let badProfile = try await MockHarness.send(.POST, base + "/_mock/faults", body: #"{"server_error_rate":2}"#)
            #expect(badProfile.status == 400)
            let stats = try await MockHarness.stats(base)
            #expect(stats["kis"]?["faults_injected"]?["server_error"]?.intValue == 1)
            #expect(stats["kis"]?["faults_injected"]?["token_expired_early"]?.intValue == 1)
        }
    }

    /// Issue #18 item 2: control values that would trap a later conversion are refused with 400, and the mock
    /// keeps answering.
    @Test(arguments: [
        #"{"latency_ms":9223372036854775807}"#, #"{"jitter_ms":-5}"#, #"{"hang_seconds":1e300}"#,
        #"{"token_lifetime_seconds":9.2e18}"#, #"{"disconnect_after_seconds":-1}"#, #"{"stall_seconds":1e19}"#,
    ])
    func hostileFaultValuesAreRefused(payload: String) async throws {
        try await MockHarness.run { broker, base in
            let refused = try await MockHarness.send(.POST, base + "/_mock/faults", body: payload)
            #expect(refused.status == 400, "\(payload): \(refused.status)")
            let key = MockHarness.key(broker, .kis)
            let token = try #require(try await MockHarness.kisToken(base, key).json?["access_token"]?.stringValue)
            let quote = try await MockHarness.kisGet(base, key, token: token, .quote, "FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930")
            #expect(quote.status == 200)
        }
    }

    @Test func sameSeedSameMarket() async throws {
        let bodies = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    try await MockHarness.run { broker, base in
                        let key = MockHarness.key(broker, .kis)
                        let token = try await MockHarness.kisAccessToken(base, key)
                        let answer = try await MockHarness.kisGet(base, key, token: token, .periodChart, "FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=035420&FID_INPUT_DATE_1=20240101&FID_INPUT_DATE_2=20250905&FID_PERIOD_DIV_CODE=W&FID_ORG_ADJ_PRC=0")
                        return JSONWriter.serialize(try #require(answer.json?["output2"]))
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(bodies.count == 2 && bodies[0] == bodies[1])
        #expect(bodies[0].contains("stck_bsop_date"))
    }
}
