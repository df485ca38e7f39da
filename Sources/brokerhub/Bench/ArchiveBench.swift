import Archiver
import ArgumentParser
import BrokerCore
import Foundation
import Realtime

/// `brokerhub bench archive`: rows/s into PostgreSQL (COPY against multi-row UNNEST insert) and SQLite.
struct ArchiveBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Rows/s written by the archive sinks: PostgreSQL COPY vs UNNEST insert, and SQLite.",
        discussion: "Each case writes into a throwaway schema (PostgreSQL) or a temporary file (SQLite) that is removed afterwards."
    )

    @Option(help: "PostgreSQL URL (default BROKERHUB_TEST_POSTGRES_URL); without one only SQLite is measured.")
    var postgres: String?

    @Option(help: "Events per case.")
    var events: Int = 100_000

    @Option(help: "Events per batch (one transaction each).")
    var batchSize: Int = 5_000

    @Option(help: "Share of order books among the events, 0…1 (the rest are ticks).")
    var orderBookShare: Double = 0.3

    @Flag(help: "Leave the COPY case's schema in place and name it (scripts/bench-compare.sh copies its rows with psql as the reference).")
    var keepSchema = false

    func run() async throws {
        #if DEBUG
        print("warning: debug build; figures are only meaningful with `swift run -c release brokerhub bench archive`")
        #endif
        let batches = Self.syntheticBatches(count: events, batchSize: batchSize, orderBookShare: orderBookShare)
        print("events \(events), batch size \(batchSize), order books \(Int(orderBookShare * 100))%")
        if let url = postgres ?? ProcessInfo.processInfo.environment["BROKERHUB_TEST_POSTGRES_URL"] {
            for method in PostgresSinkConfiguration.WriteMethod.allCases {
                var configuration = try PostgresSinkConfiguration(url: url)
                configuration.schema = "bh_bench_\(method.rawValue)_\(UInt32.random(in: 0...UInt32.max))"
                configuration.method = method
                let sink = PostgresArchiveSink(configuration: configuration)
                try await sink.prepare()
                let result = try await Self.measure(sink, batches)
                if keepSchema, method == .copy {
                    try await sink.close()
                    print("kept schema \(configuration.schema)")
                } else {
                    try await sink.dropSchemaAndClose()
                }
                print(Self.line("postgres \(method.rawValue)", result))
            }
        } else {
            print("postgres: skipped (no --postgres and no BROKERHUB_TEST_POSTGRES_URL)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bh_bench_archive_\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sqlite = try SQLiteArchiveSink(path: directory.appendingPathComponent("archive.sqlite").path)
        try await sqlite.prepare()
        let result = try await Self.measure(sqlite, batches)
        try await sqlite.close()
        print(Self.line("sqlite", result))
    }

    private static func measure(_ sink: any ArchiveSink, _ batches: [[RealtimeEvent]]) async throws -> (rows: Int, elapsed: Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        var rows = 0
        for batch in batches { rows += try await sink.write(batch).total }
        let elapsed = clock.now - start
        // A second pass of the first batch must insert nothing (duplicates), measured apart.
        if let first = batches.first, try await sink.write(first).total != 0 {
            throw ValidationError("duplicate rows were inserted; the sink is broken")
        }
        return (rows, elapsed)
    }

    private static func line(_ name: String, _ result: (rows: Int, elapsed: Duration)) -> String {
        let seconds = Double(result.elapsed.components.seconds) + Double(result.elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(result.rows) / seconds : 0
        return "\(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(result.rows) rows in \(String(format: "%.2f", seconds)) s = \(Int(rate)) rows/s"
    }

    /// Distinct events over 200 symbols, one second apart, all optional fields set.
    static func syntheticBatches(count: Int, batchSize: Int, orderBookShare: Double) -> [[RealtimeEvent]] {
        let start = Date(timeIntervalSince1970: 1_763_686_800)
        let run = UUID().uuidString.prefix(8)
        var generator = SystemRandomNumberGenerator()
        let events = (0..<count).map { n -> RealtimeEvent in
            let provider: Provider = n % 2 == 0 ? .kis : .kiwoom
            let symbol = String(format: "%06d", 5_930 + n % 200)
            let time = start.addingTimeInterval(Double(n) / 100)
            let price = 70_000 + Int64.random(in: 0..<2_000, using: &generator)
            if Double(n % 100) < orderBookShare * 100 {
                let asks = (0..<OrderBook.depth).map { PriceLevel(price: price + Int64($0 + 1) * 100, quantity: Int64(100 + $0)) }
                let bids = (0..<OrderBook.depth).map { PriceLevel(price: price - Int64($0) * 100, quantity: Int64(200 + $0)) }
                let book = OrderBook(provider: provider, symbol: symbol, time: time, receivedAt: time, asks: asks, bids: bids,
                                     totalAskQuantity: 1_450, totalBidQuantity: 2_450, sourceType: .realtime)
                return RealtimeEvent(id: "\(run)-\(n)", channel: .orderbook, provider: provider, symbol: symbol, receivedAt: time, payload: .orderBook(book))
            }
            let tick = Tick(provider: provider, symbol: symbol, time: time, receivedAt: time, price: price, volume: 17, side: .buy,
                            change: -300, changeRate: FixedDecimal(mantissa: -42, scale: 2), cumVolume: 1_234_567,
                            cumValue: 87_654_321_000, open: 71_000, high: 71_900, low: 70_800, askPrice: price + 100,
                            bidPrice: price, sourceType: .realtime)
            return RealtimeEvent(id: "\(run)-\(n)", channel: .ticker, provider: provider, symbol: symbol, receivedAt: time, payload: .tick(tick))
        }
        return stride(from: 0, to: events.count, by: batchSize).map { Array(events[$0..<min(events.count, $0 + batchSize)]) }
    }
}
