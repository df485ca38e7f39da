import Foundation
import HubEngine
import Testing

@Suite("ShareScheduler", .timeLimit(.minutes(5)))
struct ShareSchedulerTests {
    @Test("without minimum shares: strict priority")
    func strictPriority() {
        var scheduler = ShareScheduler(minimumShares: [:])
        let all = Set(Priority.allCases)
        for _ in 0..<200 { #expect(scheduler.choose(pending: all) == .realtimeCritical) }
        #expect(scheduler.choose(pending: [.snapshot, .backfill]) == .snapshot)
        #expect(scheduler.choose(pending: [.backfill, .interactive]) == .interactive)
        #expect(scheduler.choose(pending: [.backfill]) == .backfill)
        #expect(scheduler.choose(pending: []) == nil)
    }

    @Test("zero shares are dropped, so they never preempt")
    func zeroShares() {
        var scheduler = ShareScheduler(minimumShares: [.backfill: 0])
        #expect(scheduler.minimumShares.isEmpty)
        for _ in 0..<100 { #expect(scheduler.choose(pending: [.interactive, .backfill]) == .interactive) }
    }

    @Test("backfill share 0.05: at least one dispatch in every 20 goes to backfill while both wait", arguments: [
        [Priority.interactive, .backfill], [.realtimeCritical, .backfill], Priority.allCases,
    ])
    func backfillNeverStarves(pending: [Priority]) {
        var scheduler = ShareScheduler(minimumShares: [.backfill: 0.05])
        let chosen = (0..<1_000).map { _ in scheduler.choose(pending: Set(pending))! }
        for start in 0...(chosen.count - 20) {
            let window = chosen[start..<(start + 20)]
            #expect(window.contains(.backfill), "dispatches \(start)..<\(start + 20) served no backfill")
            if !window.contains(.backfill) { break }
        }
        let share = Double(chosen.filter { $0 == .backfill }.count) / Double(chosen.count)
        #expect(share >= 0.05 - 1e-9)
        #expect(share <= 0.06, "backfill takes its minimum share, not much more")
        // Everything else goes to the highest class.
        #expect(chosen.filter { $0 != .backfill }.allSatisfy { $0 == pending.min()! })
    }

    @Test("default shares: snapshot ≥ 10 % and backfill ≥ 5 % under a flood of interactive work")
    func defaultShares() {
        var scheduler = ShareScheduler()
        let chosen = (0..<2_000).map { _ in scheduler.choose(pending: [.interactive, .snapshot, .backfill])! }
        let snapshot = chosen.filter { $0 == .snapshot }.count
        let backfill = chosen.filter { $0 == .backfill }.count
        #expect(snapshot >= 200 - 1)
        #expect(backfill >= 100 - 1)
        #expect(chosen.filter { $0 == .interactive }.count >= 2_000 - 200 - 100 - 20)
        for start in stride(from: 0, through: chosen.count - 20, by: 1) {
            if !chosen[start..<(start + 20)].contains(.backfill) {
                Issue.record("no backfill in dispatches \(start)..<\(start + 20)")
                break
            }
        }
    }

    @Test("an idle class banks no credit beyond one dispatch")
    func noBankingWhenIdle() {
        var scheduler = ShareScheduler(minimumShares: [.backfill: 0.05])
        // A long stretch with no backfill work.
        for _ in 0..<10_000 { #expect(scheduler.choose(pending: [.interactive]) == .interactive) }
        let chosen = (0..<40).map { _ in scheduler.choose(pending: [.interactive, .backfill])! }
        #expect(chosen[0] == .backfill, "one banked credit: served at once")
        #expect(chosen[1..<19].allSatisfy { $0 == .interactive }, "no more banked credit: \(chosen)")
        #expect(chosen.filter { $0 == .backfill }.count <= 3)
    }

    @Test("a lone lower class is served as the highest pending, without spending banked credit")
    func loneLowerClass() {
        var scheduler = ShareScheduler(minimumShares: [.backfill: 0.05])
        for _ in 0..<30 { #expect(scheduler.choose(pending: [.backfill]) == .backfill) }
        // Credit did not pile up while backfill was served anyway.
        let chosen = (0..<19).map { _ in scheduler.choose(pending: [.interactive, .backfill])! }
        #expect(chosen.filter { $0 == .backfill }.count <= 1)
    }
}
