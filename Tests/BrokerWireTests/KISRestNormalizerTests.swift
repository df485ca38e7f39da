import BrokerCore
import BrokerWire
import Foundation
import Testing

@Suite("KIS REST normalisation", .timeLimit(.minutes(5)))
struct KISRestNormalizerTests {
    static let receivedAt = KST.instant(KSTDate(year: 2025, month: 10, day: 24)!, hour: 10, minute: 31, second: 0)

    func normalize(_ fixture: String, tr: String, _ parameters: RequestParameters = [:], status: Int = 200) throws -> NormalizedBatch {
        try KISRestNormalizer.normalize(
            trID: tr, body: Fixture.bytes(fixture), httpStatus: status,
            context: NormalizationContext(receivedAt: Self.receivedAt, parameters: parameters)
        )
    }

    func candles(_ batch: NormalizedBatch) -> [Candle] {
        batch.records.compactMap { if case .candle(let candle) = $0 { candle } else { nil } }
    }

    @Test func quote() throws {
        let batch = try normalize("kis_FHKST01010100_005930.json", tr: "FHKST01010100")
        guard case .quote(let quote) = try #require(batch.records.first) else { Issue.record("not a quote"); return }
        #expect(quote.symbol == "005930")
        #expect(quote.price == 97_500)
        #expect(quote.change == -200)
        #expect(quote.changeRate == FixedDecimal("-0.20"))
        #expect(quote.open == 98_000 && quote.high == 98_600 && quote.low == 97_300)
        #expect(quote.volume == 9_654_882)
        #expect(quote.previousClose == 97_700)
        #expect(quote.upperLimit == 127_000 && quote.lowerLimit == 68_400)
        #expect(quote.sourceType == .restQuote)
        #expect(quote.time == Self.receivedAt)
        #expect(!quote.halted)
        #expect(quote.listedShares == 5_919_637_922, "lstn_stcn: the snapshot's turnover rate")
        #expect(quote.warning == nil, "mrkt_warn_cls_code 00 and vi_cls_code N: no warning")
    }

    @Test func aMarketWarningOrAVolatilityInterruptionIsCarried() throws {
        for (replacement, expected) in [(#""mrkt_warn_cls_code":"02""#, "market_warning:02"), (#""vi_cls_code":"S""#, "vi:S")] {
            let original = String(decoding: try Fixture.bytes("kis_FHKST01010100_005930.json"), as: UTF8.self)
            let name = replacement.hasPrefix(#""mrkt"#) ? #""mrkt_warn_cls_code":"00""# : #""vi_cls_code":"N""#
            let body = Array(original.replacingOccurrences(of: name, with: replacement).utf8)
            let batch = try KISRestNormalizer.normalize(
                trID: "FHKST01010100", body: body, httpStatus: 200, context: NormalizationContext(receivedAt: Self.receivedAt, parameters: [:])
            )
            guard case .quote(let quote) = try #require(batch.records.first) else { Issue.record("not a quote"); return }
            #expect(quote.warning == expected)
        }
    }

    @Test func unknownSymbolIsNotFound() throws {
        for (fixture, tr) in [("kis_FHKST01010100_unknown.json", "FHKST01010100"), ("kis_FHKST03010100_unknown.json", "FHKST03010100")] {
            #expect {
                try normalize(fixture, tr: tr, ["FID_INPUT_ISCD": "999999"])
            } throws: { error in
                let error = error as? BrokerHubError
                return error?.code == .notFound && error?.failure?.category == .notFound
            }
        }
    }

    @Test func dailyPriceOldestFirst() throws {
        let batch = try normalize("kis_FHKST01010400_005930.json", tr: "FHKST01010400", ["fid_input_iscd": "005930", "FID_PERIOD_DIV_CODE": "D"])
        let candles = candles(batch)
        #expect(candles.count == 30)
        #expect(zip(candles, candles.dropFirst()).allSatisfy { $0.start < $1.start })
        #expect(KST.iso8601(candles.last!.start) == "2025-10-24T00:00:00+09:00")
        #expect(candles.allSatisfy { $0.symbol == "005930" && $0.interval == .day && $0.low <= $0.high })
        #expect(candles.last?.close == 97_300)
    }

    @Test func dailyPriceNeedsTheRequestedSymbol() {
        #expect {
            try normalize("kis_FHKST01010400_005930.json", tr: "FHKST01010400")
        } throws: { error in
            (error as? BrokerHubError)?.code == .invalidArgument
        }
    }

    @Test func periodChartDropsEmptyRowsAndMarksHalts() throws {
        let batch = try normalize("kis_FHKST03010100_000660_D.json", tr: "FHKST03010100", ["FID_PERIOD_DIV_CODE": "D"])
        let candles = candles(batch)
        #expect(candles.count == 20)
        #expect(batch.skipped.count == 2)
        #expect(batch.skipped.allSatisfy { $0.reason.contains("empty") })
        let halt = try #require(candles.first { KSTDate($0.start) == KSTDate(year: 2025, month: 10, day: 13) })
        #expect(halt.halted && halt.volume == 0)
        #expect(halt.open == 420_500 && halt.high == 420_500 && halt.low == 420_500 && halt.close == 420_500)
        #expect(candles.filter(\.halted).count == 1)
        let last = try #require(candles.last)
        #expect(last.open == 494_000 && last.high == 503_000 && last.low == 490_500 && last.close == 501_000)
        #expect(last.tradingValue == 2_092_485_469_000)
    }

    @Test func weeklyChart() throws {
        let batch = try normalize("kis_FHKST03010100_005930_W.json", tr: "FHKST03010100", ["FID_PERIOD_DIV_CODE": "W"])
        let candles = candles(batch)
        #expect(candles.count == 8)
        #expect(candles.allSatisfy { $0.interval == .week })
        #expect(candles.contains { KSTDate($0.start) == KSTDate(year: 2025, month: 10, day: 10) })
    }

    @Test func minuteChart() throws {
        let batch = try normalize("kis_FHKST03010200_005930.json", tr: "FHKST03010200", ["FID_INPUT_ISCD": "005930"])
        let candles = candles(batch)
        #expect(candles.count == 30)
        #expect(KST.iso8601(candles.first!.start) == "2025-10-24T10:01:00+09:00")
        #expect(KST.iso8601(candles.last!.start) == "2025-10-24T10:30:00+09:00")
        #expect(candles.allSatisfy { $0.interval == .oneMinute && !$0.halted && $0.volume > 0 })
    }

    @Test func recentTradesTakeTheTradingDate() throws {
        let batch = try normalize("kis_FHKST01010300_005930.json", tr: "FHKST01010300", ["FID_INPUT_ISCD": "005930"])
        let ticks = batch.records.compactMap { if case .tick(let tick) = $0 { tick } else { nil } }
        #expect(ticks.count == 30)
        let last = try #require(ticks.last)
        #expect(KST.iso8601(last.time) == "2025-10-24T10:30:59+09:00")
        #expect(last.price == 97_500 && last.change == -200 && last.volume == 3)
        #expect(zip(ticks, ticks.dropFirst()).allSatisfy { $0.time <= $1.time })
    }

    @Test func multiQuoteIdentifiesRowsBySymbol() throws {
        let batch = try normalize("kis_FHKST11300006_multi.json", tr: "FHKST11300006")
        let quotes = batch.records.compactMap { if case .quote(let quote) = $0 { quote } else { nil } }
        #expect(Set(quotes.map(\.symbol)) == ["000660", "005380", "005930", "035420"])
        let hynix = try #require(quotes.first { $0.symbol == "000660" })
        #expect(hynix.askSize == 2_262 && hynix.bidSize == 3_519, "seln_rsqn / shnu_rsqn: sizes at the best ask and bid")
        let samsung = try #require(quotes.first { $0.symbol == "005930" })
        #expect(samsung.price == 97_500 && samsung.change == -200)
        #expect(samsung.changeRate == FixedDecimal("-0.20"))
        let hyundai = try #require(quotes.first { $0.symbol == "005380" })
        #expect(hyundai.change == -1_500)
        #expect(batch.skipped.count == 2)
        #expect(batch.skipped.contains { $0.reason.contains("999999") })
    }

    @Test(arguments: [
        ("kis_error_EGW00201.json", 500, BrokerErrorCategory.rateLimited, "EGW00201"),
        ("kis_error_EGW00123.json", 500, .tokenExpired, "EGW00123"),
        ("kis_error_EGW00121.json", 500, .tokenInvalid, "EGW00121"),
        ("kis_oauth_EGW00133.json", 403, .tokenIssueTooFrequent, "EGW00133"),
        ("kis_error_OPSQ2001.json", 200, .permanent, "OPSQ2001"),
    ])
    func errorBodiesAreClassified(fixture: String, status: Int, category: BrokerErrorCategory, code: String) throws {
        do {
            _ = try normalize(fixture, tr: "FHKST01010100", status: status)
            Issue.record("an error body was accepted")
        } catch let error as BrokerHubError {
            #expect(error.code == .brokerError)
            #expect(error.failure?.category == category)
            #expect(error.failure?.code == code)
            #expect(error.failure?.httpStatus == status)
        }
    }

    @Test func brokenBodyIsMalformed() {
        #expect {
            try normalize("kis_broken.json", tr: "FHKST01010100")
        } throws: { error in
            let error = error as? BrokerHubError
            return error?.code == .malformedPayload && error?.message.contains("FHKST01010100") == true
        }
    }

    @Test func unknownTransactionIsRejected() {
        #expect {
            try normalize("kis_FHKST01010100_005930.json", tr: "FHKST99990000")
        } throws: { error in
            (error as? BrokerHubError)?.code == .unsupportedTransaction
        }
    }

    @Test func nonNumericFieldNamesRecordAndField() throws {
        var text = try Fixture.text("kis_FHKST01010400_005930.json")
        let range = try #require(text.range(of: #""acml_vol":""#))
        text.insert(contentsOf: "x", at: range.upperBound)
        #expect {
            try KISRestNormalizer.normalize(trID: "FHKST01010400", body: Array(text.utf8), context: .init(parameters: ["FID_INPUT_ISCD": "005930"]))
        } throws: { error in
            (error as? BrokerHubError)?.message.contains("FHKST01010400 record 0 field acml_vol: expected an integer") == true
        }
    }
}
