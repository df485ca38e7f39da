import Foundation
import Testing
@testable import Collector

@Suite("RealtimeWatchdog", .timeLimit(.minutes(5)))
struct RealtimeWatchdogTests {
    let t0 = Date(timeIntervalSince1970: 1_795_000_000)

    func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    /// A watchdog whose silence clock started at t0 with the market open.
    func openWatchdog(_ thresholds: RealtimeWatchdog.Thresholds = .init()) -> RealtimeWatchdog {
        var watchdog = RealtimeWatchdog(thresholds: thresholds)
        #expect(watchdog.evaluate(now: t0, marketOpen: true) == nil)
        return watchdog
    }

    /// Evaluates every `step` seconds over `range` and returns (second, action) for each action.
    func sweep(_ watchdog: inout RealtimeWatchdog, _ range: ClosedRange<Int>, step: Int = 1, open: Bool = true) -> [(Int, WatchdogAction)] {
        stride(from: range.lowerBound, through: range.upperBound, by: step).compactMap { second in
            watchdog.evaluate(now: at(Double(second)), marketOpen: open).map { (second, $0) }
        }
    }

    @Test func tiersFireOnceEachInOrder() {
        var watchdog = openWatchdog()
        let fired = sweep(&watchdog, 1...179)
        #expect(fired.map(\.0) == [60, 120])
        #expect(fired.map(\.1) == [.warn, .resubscribe])
        #expect(watchdog.evaluate(now: at(180), marketOpen: true) == .reconnect)
    }

    @Test func reconnectStartsANewSilencePeriod() {
        var watchdog = openWatchdog()
        _ = sweep(&watchdog, 1...180)
        let after = sweep(&watchdog, 181...400)
        #expect(after.map(\.0) == [240, 300, 360])
        #expect(after.map(\.1) == [.warn, .resubscribe, .reconnect])
    }

    @Test func dataEndsTheSilence() {
        var watchdog = openWatchdog()
        #expect(sweep(&watchdog, 1...70).map(\.1) == [.warn])
        watchdog.observeData(at: at(100))
        let fired = sweep(&watchdog, 100...200)
        #expect(fired.map(\.0) == [160])
        #expect(fired.map(\.1) == [.warn])
        // Data older than the current period does not move it back.
        watchdog.observeData(at: at(50))
        #expect(watchdog.silenceStart == at(100))
    }

    @Test func steadyDataNeverFires() {
        var watchdog = openWatchdog()
        for second in stride(from: 1, through: 3600, by: 5) {
            watchdog.observeData(at: at(Double(second)))
            #expect(watchdog.evaluate(now: at(Double(second) + 4), marketOpen: true) == nil)
        }
    }

    @Test func lateEvaluationReturnsOnlyTheStrongestDueTier() {
        var watchdog = openWatchdog()
        #expect(watchdog.evaluate(now: at(130), marketOpen: true) == .resubscribe)
        #expect(watchdog.evaluate(now: at(131), marketOpen: true) == nil)
        #expect(watchdog.evaluate(now: at(500), marketOpen: true) == .reconnect)
        #expect(watchdog.silenceStart == at(500))
    }

    @Test func nothingFiresOutsideMarketHoursAndTheClockRestartsAtTheOpen() {
        var watchdog = RealtimeWatchdog()
        #expect(sweep(&watchdog, 0...7200, step: 10, open: false).isEmpty)
        // Market opens at 7200: the silence counts from there, not from the start.
        #expect(watchdog.evaluate(now: at(7200), marketOpen: true) == nil)
        let fired = sweep(&watchdog, 7201...7400)
        #expect(fired.map(\.0) == [7260, 7320, 7380])
        // Closes mid-silence, reopens: the half-done period is forgotten.
        var closing = openWatchdog()
        #expect(sweep(&closing, 1...90).map(\.1) == [.warn])
        #expect(sweep(&closing, 91...1000, step: 10, open: false).isEmpty)
        #expect(closing.evaluate(now: at(1000), marketOpen: true) == nil)
        let reopened = sweep(&closing, 1001...1200)
        #expect(reopened.map(\.0) == [1060, 1120, 1180])
    }

    @Test func thresholdsAreConfigurable() {
        var watchdog = openWatchdog(.init(warn: .seconds(5), resubscribe: .seconds(10), reconnect: .seconds(15)))
        #expect(sweep(&watchdog, 1...15).map(\.0) == [5, 10, 15])
    }
}
