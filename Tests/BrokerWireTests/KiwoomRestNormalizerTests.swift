import BrokerCore
import BrokerWire
import Foundation
import Testing

@Suite("Kiwoom REST normalisation", .timeLimit(.minutes(5)))
struct KiwoomRestNormalizerTests {
    static let receivedAt = KST.instant(KSTDate(year: 2025, month: 10, day: 24)!, hour: 18, minute: 5, second: 0)

    func normalize(_ fixture: String, api: String, _ parameters: RequestParameters = [:], status: Int = 200) throws -> NormalizedBatch {
        try KiwoomRestNormalizer.normalize(
            apiID: api, body: Fixture.bytes(fixture), httpStatus: status,
            context: NormalizationContext(receivedAt: Self.receivedAt, parameters: parameters)
        )
    }

    func candles(_ batch: NormalizedBatch) -> [Candle] {
        batch.records.compactMap { if case .candle(let candle) = $0 { candle } else { nil } }
    }

    @Test func dailyChartWithHalt() throws {
        let candles = candles(try normalize("kiwoom_ka10081_005930.json", api: "ka10081"))
        #expect(candles.count == 20)
        #expect(zip(candles, candles.dropFirst()).allSatisfy { $0.start < $1.start })
        let last = try #require(candles.last)
        #expect(KSTDate(last.start) == KSTDate(year: 2025, month: 8, day: 29))
        #expect(last.open == 77_400 && last.high == 78_900 && last.low == 77_000 && last.close == 78_900)
        #expect(last.volume == 26_613_553)
        #expect(last.tradingValue == 2_084_470_000_000)
        let halt = try #require(candles.first { KSTDate($0.start) == KSTDate(year: 2025, month: 8, day: 20) })
        #expect(halt.halted && halt.volume == 0 && halt.close == 73_900)
        #expect(candles.filter(\.halted).count == 1)
        #expect(candles.allSatisfy { $0.provider == .kiwoom && $0.sourceType == .restCandle && $0.interval == .day })
    }

    @Test func minuteChartSignedPrices() throws {
        let candles = candles(try normalize("kiwoom_ka10080_005930.json", api: "ka10080", ["tic_scope": "1"]))
        #expect(candles.count == 30)
        #expect(candles.allSatisfy { $0.open > 0 && $0.high > 0 && $0.low > 0 && $0.close > 0 && $0.low <= $0.high })
        #expect(KST.iso8601(candles.last!.start) == "2025-10-24T10:30:00+09:00")
        #expect(candles.allSatisfy { $0.interval == CandleInterval(1, .minute) })
    }

    @Test func tickChartAfterHoursTimes() throws {
        let candles = candles(try normalize("kiwoom_ka10079_005930.json", api: "ka10079", ["tic_scope": "1"]))
        #expect(candles.count == 30)
        let times = candles.suffix(2).map { KST.iso8601($0.start) }
        #expect(times == ["2025-10-24T16:00:00+09:00", "2025-10-24T18:00:00+09:00"])
        #expect(candles.last?.close == 97_400)
        #expect(candles.allSatisfy { $0.interval == CandleInterval(1, .tick) })
    }

    @Test func quote() throws {
        let batch = try normalize("kiwoom_ka10001_005930.json", api: "ka10001")
        guard case .quote(let quote) = try #require(batch.records.first) else { Issue.record("not a quote"); return }
        #expect(quote.symbol == "005930" && quote.name == "삼성전자")
        #expect(quote.price == 97_500 && quote.change == -200)
        #expect(quote.changeRate == FixedDecimal("-0.20"))
        #expect(quote.open == 98_000 && quote.high == 98_600 && quote.low == 97_300)
        #expect(quote.upperLimit == 127_000 && quote.lowerLimit == 68_400 && quote.previousClose == 97_700)
    }

    @Test(arguments: [
        ("kiwoom_error_1700.json", 429, BrokerErrorCategory.rateLimited, "1700"),
        ("kiwoom_error_1634.json", 200, .permanent, "1634"),
        ("kiwoom_error_8005.json", 200, .tokenExpired, "8005"),
        ("kiwoom_error_1511.json", 200, .permanent, "1511"),
        ("kiwoom_error_1902.json", 200, .notFound, "1902"),
    ])
    func errorBodiesAreClassified(fixture: String, status: Int, category: BrokerErrorCategory, code: String) throws {
        do {
            _ = try normalize(fixture, api: "ka10081", status: status)
            Issue.record("an error body was accepted")
        } catch let error as BrokerHubError {
            #expect(error.failure?.category == category)
            #expect(error.failure?.code == code)
        }
    }

    @Test func badTicScopeIsAnArgumentError() {
        #expect {
            try normalize("kiwoom_ka10080_005930.json", api: "ka10080", ["tic_scope": "x"])
        } throws: { error in
            (error as? BrokerHubError)?.code == .invalidArgument
        }
    }

    @Test func accountStyleCodesAreTrimmed() throws {
        let body = #"{"stk_cd":"A005930","stk_dt_pole_chart_qry":[{"cur_prc":"70100","trde_qty":"1","trde_prica":"1","dt":"20250908","open_pric":"69800","high_pric":"70500","low_pric":"69600"}],"return_code":0}"#
        let batch = try KiwoomRestNormalizer.normalize(apiID: "ka10081", body: Array(body.utf8), context: .init())
        #expect(batch.records.first?.symbol == "005930")
    }
}
