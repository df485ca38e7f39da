import BrokerCore
import BrokerWire
import Foundation
import Snapshots
import Testing

/// Issue #14 item 3: validation, guard and enrichment as pure, separately tested stages.
@Suite("Snapshot pipeline stages")
struct SnapshotPipelineTests {
    let validator = SnapshotValidator(hours: .regular)

    @Test func aValidSnapshotPasses() {
        #expect(validator.validate(SnapshotFixtures.snapshot()) == nil)
        #expect(SnapshotGuard().check(SnapshotFixtures.snapshot(), previous: nil) == nil)
    }

    @Test(arguments: [
        ("price 0", SnapshotRejection.Reason.unknownSymbol),
        ("negative price", .invalidValue),
        ("negative volume", .invalidValue),
        ("low above high", .invalidValue),
        ("price outside the day's range", .invalidValue),
        ("price outside the limits", .outsideLimits),
        ("after the close", .outsideSession),
        ("empty symbol", .missingField),
        ("not a code", .invalidValue),
    ])
    func validationRefuses(_ case: String, _ expected: SnapshotRejection.Reason) {
        var snapshot = SnapshotFixtures.snapshot()
        switch `case` {
        case "price 0": snapshot.price = 0
        case "negative price": snapshot.price = -5
        case "negative volume": snapshot.volume = -1
        case "low above high": snapshot.low = 72_000
        case "price outside the day's range": snapshot.price = 71_600
        case "price outside the limits":
            snapshot.high = 95_000
            snapshot.price = 92_000
        case "after the close": snapshot.exchangeTime = SnapshotFixtures.monday(16, 0)
        case "empty symbol": snapshot.symbol = ""
        default: snapshot.symbol = "00\"5930"
        }
        #expect(validator.validate(snapshot)?.0 == expected, "\(`case`): \(String(describing: validator.validate(snapshot)))")
    }

    @Test func theSessionEdgeHasATolerance() {
        var snapshot = SnapshotFixtures.snapshot(at: SnapshotFixtures.monday(15, 30, 20))
        #expect(validator.validate(snapshot) == nil, "20 s after the close, a cycle that started in session")
        snapshot.exchangeTime = SnapshotFixtures.monday(15, 32)
        #expect(validator.validate(snapshot)?.0 == .outsideSession)
        #expect(SnapshotValidator(hours: .always).validate(snapshot) == nil)
    }

    @Test func theGuardRefusesStaleHaltedAndRepeatedSnapshots() {
        let guardStage = SnapshotGuard(maximumAge: .seconds(10))
        let stale = SnapshotFixtures.snapshot(receivedAt: SnapshotFixtures.monday(10, 0, 15))
        #expect(guardStage.check(stale, previous: nil)?.0 == .stale)
        var halted = SnapshotFixtures.snapshot()
        halted.halted = true
        #expect(guardStage.check(halted, previous: nil)?.0 == .halted)
        #expect(SnapshotGuard(rejectHalted: false).check(halted, previous: nil) == nil)
        let first = SnapshotFixtures.snapshot(cycle: 1)
        let same = SnapshotFixtures.snapshot(at: SnapshotFixtures.monday(10, 2, 30), cycle: 2)
        #expect(guardStage.check(same, previous: first)?.0 == .duplicate)
        #expect(SnapshotGuard(rejectDuplicates: false).check(same, previous: first) == nil)
        let traded = SnapshotFixtures.snapshot(at: SnapshotFixtures.monday(10, 2, 30), volume: 1_000_100, cycle: 2)
        #expect(guardStage.check(traded, previous: first) == nil)
    }

    @Test func enrichmentDerivesSpreadMidRangeTurnoverAndChanges() {
        let first = SnapshotEnricher.enrich(SnapshotFixtures.snapshot(), previous: nil)
        let derived = try! #require(first.derived)
        #expect(derived.spread == 100)
        #expect(derived.mid == FixedDecimal(mantissa: 710_500, scale: 1))
        #expect(derived.rangePosition == FixedDecimal(mantissa: 6_666, scale: 4))  // (71,000 − 70,000) / 1,500
        #expect(derived.turnoverRate == FixedDecimal(mantissa: 167, scale: 4))     // 1,000,000 / 5,969,782,550 in %
        #expect(derived.changeSincePrevious == nil && derived.volumeSincePrevious == nil)
        let second = SnapshotEnricher.enrich(SnapshotFixtures.snapshot(price: 71_200, volume: 1_050_000, cycle: 2), previous: first)
        #expect(second.derived?.changeSincePrevious == 200)
        #expect(second.derived?.volumeSincePrevious == 50_000)
    }

    @Test func thePipelineCountsEveryRefusalAndRemembersTheLastState() {
        var pipeline = SnapshotPipeline(validator: validator, snapshotGuard: SnapshotGuard())
        let now = SnapshotFixtures.monday(10, 0)
        var bad = SnapshotFixtures.snapshot("000660")
        bad.volume = -3
        let first = pipeline.process(
            [SnapshotFixtures.snapshot(), bad], unanswered: [("999999", "symbol 999999 not found")], provider: .kis, mode: .swing, cycle: 1, now: now
        )
        #expect(first.accepted.map(\.symbol) == ["005930"])
        #expect(first.rejected.map(\.reason) == [.invalidValue, .unknownSymbol])
        #expect(first.rejected[0].snapshot?.symbol == "000660", "the refused snapshot is kept for the rejects file")
        let second = pipeline.process(
            [SnapshotFixtures.snapshot(cycle: 2), SnapshotFixtures.snapshot("000660", cycle: 2)], provider: .kis, mode: .swing, cycle: 2, now: now
        )
        #expect(second.rejected.map(\.reason) == [.duplicate])
        #expect(second.accepted.map(\.symbol) == ["000660"])
        #expect(pipeline.remembered == 2)
    }

    @Test func linesAreJSONWithTheDocumentedFields() throws {
        let line = SnapshotJSON.encode(SnapshotEnricher.enrich(SnapshotFixtures.snapshot(), previous: nil))
        let object = try JSONParser.parse(line)
        #expect(object["type"]?.stringValue == "snapshot" && object["symbol"]?.stringValue == "005930")
        #expect(object["tr_id"]?.stringValue == "FHKST11300006" && object["mode"]?.stringValue == "swing" && object["cycle"]?.intValue == 1)
        #expect(object["exchange_time"]?.stringValue == "2025-09-08T10:00:00+09:00" && object["source_type"]?.stringValue == "rest_quote")
        #expect(object["ask_size"]?.intValue == 1_200 && object["bid_size"]?.intValue == 3_400)
        #expect(object["derived"]?["mid"] == .number("71050.0"))
        let rejection = SnapshotRejection(reason: .stale, provider: .kis, symbol: "005930", detail: "old", mode: .scalp, cycle: 3, at: SnapshotFixtures.monday(10, 0))
        let refused = try JSONParser.parse(SnapshotJSON.encode(rejection))
        #expect(refused["reason"]?.stringValue == "stale" && refused["received_at"]?.stringValue == "2025-09-08T10:00:00+09:00")
    }

    @Test func plansBatchKISSwingByThirtyAndQuoteOneByOneOtherwise() {
        let symbols = (0..<2_700).map { String(format: "%06d", $0) }
        let swing = SnapshotPlan.calls(mode: .swing, provider: .kis, symbols: symbols)
        #expect(swing.count == 90 && swing.allSatisfy { $0.symbols.count == 30 && $0.transaction == "FHKST11300006" && $0.priority == .snapshot })
        #expect(swing.flatMap(\.symbols) == symbols, "every symbol exactly once, in order")
        let scalp = SnapshotPlan.calls(mode: .scalp, provider: .kis, symbols: ["005930", "000660"])
        #expect(scalp.map(\.transaction) == ["FHKST01010100", "FHKST01010100"] && scalp.allSatisfy { $0.priority == .interactive })
        let kiwoom = SnapshotPlan.calls(mode: .swing, provider: .kiwoom, symbols: ["005930"])
        #expect(kiwoom.first?.transaction == "ka10001" && kiwoom.first?.parameters == ["stk_cd": "005930"])
    }

    @Test func aScalpScheduleMustStayInsideItsShareOfTheBudget() throws {
        var configuration = SnapshotConfiguration(mode: .scalp, provider: .kis, symbols: ["005930", "000660"], directory: "/tmp/x")
        try configuration.validate(budgetPerSecond: 18)
        configuration.symbols = (0..<10).map { String(format: "%06d", $0) }
        #expect(throws: BrokerHubError.self) { try configuration.validate(budgetPerSecond: 18) }
        configuration.interval = .seconds(2)
        try configuration.validate(budgetPerSecond: 18)
        configuration.symbols = ["005930", "005930"]
        #expect(throws: BrokerHubError.self) { try configuration.validate() }
    }
}
