import BrokerClients
import BrokerCore
import History
import Testing

/// Issue #13 item 2 and 8: what a history run will fetch, resumed after checkpoints, and the input it refuses.
@Suite("History plan")
struct HistoryPlanTests {
    static let today = KSTDate("20261204")!  // a Friday
    static let oneDay = CandleInterval("1d")!, oneMinute = CandleInterval("1m")!

    static func plan(
        _ intervals: [CandleInterval] = [oneDay], from: String, to: String, symbols: [String] = ["005930", "000660"],
        checkpoints: [String: KSTDate] = [:], provider: Provider = .kis
    ) throws -> HistoryPlan {
        try HistoryPlan.make(provider: provider, symbols: symbols, intervals: intervals, from: KSTDate(from)!, to: KSTDate(to)!, today: today, checkpoints: checkpoints)
    }

    @Test func dailyCandlesAreOneStepPerSymbolCheckpointedThroughYesterday() throws {
        let plan = try Self.plan(from: "20261101", to: "20261204")
        #expect(plan.steps.count == 2 && plan.calls == 2 && plan.complete == 0)
        #expect(plan.steps.allSatisfy { $0.from == KSTDate("20261101") && $0.to == Self.today && $0.through == KSTDate("20261203") })
        #expect(plan.sends == 2 && plan.seconds(atBudget: 18) == 2.0 / 18)
        // A year of daily candles is three pages of 100 a symbol.
        let year = try Self.plan(from: "20251205", to: "20261204")
        #expect(year.calls == 2 && year.sends == 6)
    }

    @Test func minuteCandlesAreOneStepPerTradingDay() throws {
        // 20261130 (Mon) … 20261204 (Fri, today): five trading days, today's step sets no checkpoint.
        let plan = try Self.plan([Self.oneMinute], from: "20261129", to: "20261204", symbols: ["005930"])
        #expect(plan.steps.map(\.from.compact) == ["20261130", "20261201", "20261202", "20261203", "20261204"])
        #expect(plan.steps.map { $0.through?.compact } == ["20261130", "20261201", "20261202", "20261203", nil])
        #expect(plan.steps.first?.calls == 1)
        #expect(plan.steps.map(\.sends) == [4, 4, 4, 4, 13], "a past day's 391 bars are 4 pages of 120; today's come 30 a page")
    }

    @Test func checkpointsLeaveOnlyWhatIsMissing() throws {
        let checkpoints = [
            HistoryPlan.key(provider: .kis, symbol: "005930", interval: Self.oneMinute): KSTDate("20261202")!,
            HistoryPlan.key(provider: .kis, symbol: "000660", interval: Self.oneMinute): KSTDate("20261204")!,
        ]
        let plan = try Self.plan([Self.oneMinute], from: "20261130", to: "20261204", checkpoints: checkpoints)
        #expect(plan.steps.map { "\($0.symbol) \($0.from.compact)" } == ["005930 20261203", "005930 20261204"])
        #expect(plan.complete == 1)
    }

    @Test(arguments: [
        ("20261210", "20261211", "in the future"),
        ("20261130", "20261120", "is after"),
        ("20150101", "20261130", "ten years"),
        ("20261009", "20261009", "no trading day"),
        ("20261128", "20261129", "no trading day"),
    ])
    func badRangesAreRefusedWithTheReason(from: String, to: String, reason: String) throws {
        let error = #expect(throws: BrokerHubError.self) { try Self.plan(from: from, to: to) }
        #expect(error?.code == .invalidArgument && error?.message.contains(reason) == true, "\(error?.message ?? "")")
    }

    @Test func minuteCandlesBeforeTheBrokersRetentionAreRefused() {
        let error = #expect(throws: BrokerHubError.self) { try Self.plan([Self.oneMinute], from: "20251101", to: "20251105") }
        #expect(error?.message.contains("about a year") == true)
    }

    @Test func anIntervalNoTransactionServesIsRefused() {
        let error = #expect(throws: BrokerHubError.self) { try Self.plan([CandleInterval("5m")!], from: "20261201", to: "20261203") }
        #expect(error?.message.contains("1m") == true, "\(error?.message ?? "")")
    }
}
