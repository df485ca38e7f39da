import BrokerCore
import Foundation
import History
import Realtime
import Testing

/// `RecoverySchedule`: which alerts affect which symbols, the settle delay, the spacing between recoveries.
@Suite("Recovery schedule")
struct RecoveryScheduleTests {
    typealias Target = RecoverySchedule.Target
    let t0 = Date(timeIntervalSince1970: 1_765_155_600)
    let known = [Target(provider: .kis, symbol: "005930"), Target(provider: .kis, symbol: "000660"), Target(provider: .kiwoom, symbol: "005930")]

    func alert(_ kind: String, _ provider: Provider?, _ symbol: String? = nil) -> RealtimeAlert {
        RealtimeAlert(kind: kind, message: "m", provider: provider, symbol: symbol, at: t0)
    }

    @Test func aSessionGapAffectsItsProvidersSymbolsALedgerLossItsOwn() {
        #expect(RecoverySchedule.targets(of: alert("session.gap", .kis), known: known) == Array(known.prefix(2)))
        #expect(RecoverySchedule.targets(of: alert("session.gap", nil), known: known) == known)
        #expect(RecoverySchedule.targets(of: alert("ledger.missing", .kiwoom, "035420"), known: known) == [Target(provider: .kiwoom, symbol: "035420")])
        #expect(RecoverySchedule.targets(of: alert("ledger.missing", .kiwoom), known: known).isEmpty)
        #expect(RecoverySchedule.targets(of: alert("watchdog.silence", .kis), known: known).isEmpty)
    }

    @Test func symbolsBecomeDueAfterTheSettleOneAtATimeSpacedApart() {
        var schedule = RecoverySchedule(settle: .seconds(30), spacing: .seconds(5))
        #expect(schedule.next(at: t0) == .idle)
        schedule.affected(Array(known.prefix(2)), at: t0)
        #expect(schedule.waiting == 2)
        #expect(schedule.next(at: t0.addingTimeInterval(10)) == .sleep(until: t0.addingTimeInterval(30)))
        #expect(schedule.next(at: t0.addingTimeInterval(30)) == .recover(known[1]), "equal due times: by symbol")
        #expect(schedule.next(at: t0.addingTimeInterval(31)) == .sleep(until: t0.addingTimeInterval(35)), "spaced 5 s apart")
        #expect(schedule.next(at: t0.addingTimeInterval(35)) == .recover(known[0]))
        #expect(schedule.next(at: t0.addingTimeInterval(36)) == .idle)
    }

    @Test func anotherAlertMovesAWaitingSymbolLaterWithoutDoublingIt() {
        var schedule = RecoverySchedule(settle: .seconds(30), spacing: .zero)
        schedule.affected([known[0]], at: t0)
        schedule.affected([known[0]], at: t0.addingTimeInterval(20))
        #expect(schedule.waiting == 1)
        #expect(schedule.next(at: t0.addingTimeInterval(30)) == .sleep(until: t0.addingTimeInterval(50)))
        #expect(schedule.next(at: t0.addingTimeInterval(50)) == .recover(known[0]))
        // Named again while (or after) it is recovered: it is queued once more.
        schedule.affected([known[0]], at: t0.addingTimeInterval(51))
        #expect(schedule.next(at: t0.addingTimeInterval(81)) == .recover(known[0]))
        #expect(schedule.next(at: t0.addingTimeInterval(82)) == .idle)
    }
}
