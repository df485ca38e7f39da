import BrokerCore
import Foundation
import Snapshots
import Synchronization

/// Snapshots and quotes for the unit suites: a valid KIS quote at an instant of a Monday regular session.
enum SnapshotFixtures {
    /// 2025-09-08 (a Monday) at `hour:minute` KST.
    static func monday(_ hour: Int, _ minute: Int, _ second: Int = 0) -> Date {
        KST.instant(KSTDate(year: 2025, month: 9, day: 8)!, hour: hour, minute: minute, second: second)
    }

    static func quote(_ symbol: String = "005930", price: Int64 = 71_000, at time: Date = monday(10, 0), volume: Int64 = 1_000_000) -> Quote {
        Quote(
            provider: .kis, symbol: symbol, name: "삼성전자", time: time, receivedAt: time, price: price, change: 500,
            changeRate: FixedDecimal(mantissa: 71, scale: 2), open: 70_500, high: 71_500, low: 70_000, volume: volume,
            tradingValue: 71_000 * volume, previousClose: 70_500, upperLimit: 91_600, lowerLimit: 49_400, askPrice: 71_100,
            bidPrice: 71_000, askSize: 1_200, bidSize: 3_400, listedShares: 5_969_782_550, sourceType: .restQuote
        )
    }

    static func snapshot(
        _ symbol: String = "005930", price: Int64 = 71_000, at time: Date = monday(10, 0), volume: Int64 = 1_000_000, cycle: Int = 1,
        receivedAt: Date? = nil
    ) -> ObservationSnapshot {
        ObservationSnapshot(
            quote: quote(symbol, price: price, at: time, volume: volume), transaction: "FHKST11300006", mode: .swing, cycle: cycle,
            receivedAt: receivedAt ?? time
        )
    }

    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-snapshots-\(UUID().uuidString.prefix(8))").path
    }
}

/// A `SnapshotSource` answering from a script: every call is recorded with the clock's instant, each asked
/// symbol gets a quote (unless listed as unknown), and `during` runs inside the call (to move a manual clock).
final class ScriptedSnapshotSource: SnapshotSource {
    let clock: any HubClock
    let unknown: Set<String>
    let during: @Sendable () -> Void
    private let calls = Mutex<[(call: SnapshotCall, at: Date)]>([])
    private let volume = Mutex<Int64>(1_000)

    init(clock: any HubClock, unknown: Set<String> = [], during: @escaping @Sendable () -> Void = {}) {
        self.clock = clock
        self.unknown = unknown
        self.during = during
    }

    var recorded: [(call: SnapshotCall, at: Date)] { calls.withLock { $0 } }

    func fetch(_ call: SnapshotCall) async throws -> SnapshotAnswer {
        calls.withLock { $0.append((call, clock.now)) }
        during()
        // Every answer a new volume, so consecutive cycles are never duplicates.
        let traded = volume.withLock { value -> Int64 in
            value += 10
            return value
        }
        let now = clock.now
        let quotes = call.symbols.filter { !unknown.contains($0) }.map { SnapshotFixtures.quote($0, at: now, volume: traded) }
        return SnapshotAnswer(quotes: quotes, skipped: call.symbols.filter(unknown.contains).map { "symbol \($0) not found (inter2_prpr \"0\")" })
    }
}
