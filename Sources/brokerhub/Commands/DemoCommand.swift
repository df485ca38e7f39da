import ArgumentParser
import BrokerCore
import BrokerWire
import Foundation

/// `brokerhub demo`: everything in one process against the built-in mock broker on the embedded store.
///
/// The mock broker, hub and pipeline land in later steps; until then the demo shows the plan and runs the
/// parts that exist (realtime parsing and the KRX calendar) end to end.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run BrokerHub end to end against the built-in mock broker on the embedded store."
    )

    func run() async throws {
        print("""
        BrokerHub demo
        ==============
        Planned (lands with the mock broker, hub and pipeline issues):
          1. start the mock KIS + Kiwoom broker on a free loopback port (seeded market, faults on demand)
          2. start the hub on the embedded SQLite store: one token, one strict rate budget, priority queue
          3. drive mixed callers (quotes, candles, a backfill burst, a fault burst) and collect realtime ticks
          4. print a summary: requests, failures by cause, p50/p99, budget use, violations (0), tokens issued (1)

        Available now:
        """)
        let calendar = KRXCalendar()
        let now = Date()
        print("  KRX calendar: it is \(KST.iso8601(now)); market phase \(calendar.phase(at: now).rawValue); next regular open \(KST.iso8601(calendar.nextRegularOpen(after: now)))")
        var generator = SyntheticFrames(seed: 7)
        let frames = generator.kisTradeFrames(count: 1_000, recordsPerFrame: 4)
        let clock = ContinuousClock()
        let start = clock.now
        var ticks = 0
        for frame in frames {
            if case .ticks(_, let parsed) = try KISRealtimeParser.parse(frame, receivedAt: now) { ticks += parsed.count }
        }
        let elapsed = clock.now - start
        print("  realtime parser: \(frames.count) H0STCNT0 frames → \(ticks) ticks in \(elapsed)")
        print("\nSummary: parsed \(ticks) ticks; no broker was called.")
    }
}
