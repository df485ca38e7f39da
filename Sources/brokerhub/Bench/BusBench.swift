import ArgumentParser
import BrokerCore
import Foundation
import Logging
import Realtime
import RedisClient

/// `brokerhub bench bus`: durable bus throughput — publish alone, then publish → read → acknowledge — for
/// the SQLite journal and Redis Streams.
struct BusBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bus",
        abstract: "Events/s published, and published → read → acknowledged, on the journal and Redis buses."
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case journal, redis, all
    }

    @Option(help: "Which bus: journal, redis or all (redis needs --redis-url).")
    var kind: Kind = .all

    @Option(help: "Events per phase.")
    var events: Int = 200_000

    @Option(help: "Concurrent publishers.")
    var publishers: Int = 4

    @Option(help: "Events per publish call.")
    var batch: Int = 100

    @Option(help: "Events per read.")
    var readMaximum: Int = 1_000

    @Option(help: "Journal: group commit window in milliseconds.")
    var commitWindow: Double = 0

    @Option(help: "Journal durability: full (fsync every commit) or normal.")
    var durability: String = "full"

    @Option(help: "Journal directory (default: a temporary one, deleted afterwards).")
    var directory: String?

    @Option(help: "Redis URL (default: BROKERHUB_REDIS_URL or BROKERHUB_TEST_REDIS_URL).")
    var redisURL: String?

    func run() async throws {
        #if DEBUG
        print("warning: debug build; figures are only meaningful with `swift run -c release brokerhub bench bus`")
        #endif
        let events = BusBenchEvents.make(count: self.events)
        let encoded = events.map(RealtimeEventCodec.encode)
        let codec = measure { for bytes in encoded { _ = try? RealtimeEventCodec.decode(bytes) } }
        print(String(format: "codec: %.0f bytes/event, decode %.0f events/s", Double(encoded.reduce(0) { $0 + $1.count }) / Double(events.count), Double(events.count) / codec))
        print("\(events.count) events per phase, \(publishers) publishers × \(batch) events per call, reads of \(readMaximum)")
        var logger = Logger(label: "brokerhub.bench.bus")
        logger.logLevel = .warning

        if kind == .journal || kind == .all {
            let root = directory.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-bench-\(UUID().uuidString)")
            defer { if directory == nil { try? FileManager.default.removeItem(at: root) } }
            func open(_ name: String) throws -> JournalEventBus {
                var configuration = JournalEventBusConfiguration(path: root.appendingPathComponent("\(name).sqlite").path)
                configuration.commitWindow = .microseconds(Int64(commitWindow * 1_000))
                configuration.durability = durability == "normal" ? .normal : .full
                configuration.groups = ["bench"]
                return try JournalEventBus(configuration: configuration, logger: logger)
            }
            let label = "journal (\(durability), window \(commitWindow) ms)"
            let publishBus = try open("publish")
            try await report(label, "publish", publishOnly(publishBus, events))
            try publishBus.close()
            let pipelineBus = try open("pipeline")
            try await report(label, "publish→read→ack", pipeline(pipelineBus, events))
            try pipelineBus.close()
        }
        if kind == .redis || kind == .all {
            let environment = ProcessInfo.processInfo.environment
            guard let url = redisURL ?? environment["BROKERHUB_REDIS_URL"] ?? environment["BROKERHUB_TEST_REDIS_URL"] else {
                print("redis: skipped (no --redis-url, BROKERHUB_REDIS_URL or BROKERHUB_TEST_REDIS_URL)")
                return
            }
            let client = RedisClient(configuration: try RedisConfiguration(url: url), logger: logger)
            let prefix = "bhbench:bus:\(UUID().uuidString.prefix(8))"
            func open(_ name: String) -> RedisEventBus {
                var configuration = RedisEventBusConfiguration(keyPrefix: "\(prefix):\(name)")
                configuration.livePrefix = "\(prefix):"
                configuration.groups = ["bench"]
                return RedisEventBus(client: client, configuration: configuration, logger: logger)
            }
            do {
                try await report("redis", "publish", publishOnly(open("publish"), events))
                try await report("redis", "publish→read→ack", pipeline(open("pipeline"), events))
            } catch {
                print("redis: failed: \(error)")
            }
            if let keys = try? await client.send("KEYS", .string(prefix + ":*")).array, !keys.isEmpty {
                _ = try? await client.send([.string("DEL")] + keys.compactMap(\.string).map { .string($0) })
            }
            await client.shutdown()
        }
    }

    /// Seconds for `publishers` tasks to publish all events in calls of `batch`.
    private func publishOnly(_ bus: any EventBus, _ events: [RealtimeEvent]) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try await publishAll(bus, events)
        return seconds(start.duration(to: clock.now))
    }

    /// Seconds until every event was published and then read and acknowledged by one consumer running at
    /// the same time.
    private func pipeline(_ bus: any EventBus, _ events: [RealtimeEvent]) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let total = events.count
        let maximum = readMaximum
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await publishAll(bus, events) }
            group.addTask {
                var received = 0
                while received < total {
                    let deliveries = try await bus.read(group: "bench", consumer: "c1", maximum: maximum, wait: .seconds(5))
                    guard !deliveries.isEmpty else { throw BenchError("the consumer stalled at \(received) of \(total)") }
                    try await bus.acknowledge(deliveries, group: "bench")
                    received += deliveries.count
                }
            }
            try await group.waitForAll()
        }
        return seconds(start.duration(to: clock.now))
    }

    private func publishAll(_ bus: any EventBus, _ events: [RealtimeEvent]) async throws {
        let batch = max(1, self.batch)
        let publishers = max(1, self.publishers)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for publisher in 0..<publishers {
                group.addTask {
                    var index = publisher * batch
                    while index < events.count {
                        try await bus.publish(Array(events[index..<min(events.count, index + batch)]))
                        index += publishers * batch
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    private func report(_ bus: String, _ phase: String, _ seconds: Double) {
        let name = "\(bus) \(phase)"
        print(name.padding(toLength: max(name.count, 52), withPad: " ", startingAt: 0) + String(format: " %10.0f events/s  (%d events in %.2f s)", Double(events) / seconds, events, seconds))
    }

    private func measure(_ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        body()
        return seconds(start.duration(to: clock.now))
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    struct BenchError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

/// Realistic bus traffic: 80 % ticks, 20 % order books over 50 symbols, two providers.
enum BusBenchEvents {
    static func make(count: Int) -> [RealtimeEvent] {
        let now = Date()
        let run = UUID().uuidString.prefix(8)
        return (0..<count).map { n in
            let symbol = String(format: "%06d", 5_930 + n % 50)
            let provider: Provider = n % 2 == 0 ? .kis : .kiwoom
            let id = "\(run)-\(n)"
            if n % 5 == 4 {
                let asks = (0..<OrderBook.depth).map { PriceLevel(price: 71_300 + Int64($0) * 100, quantity: Int64(100 + n % 700)) }
                let bids = (0..<OrderBook.depth).map { PriceLevel(price: 71_200 - Int64($0) * 100, quantity: Int64(90 + n % 600)) }
                let book = OrderBook(provider: provider, symbol: symbol, time: now, receivedAt: now, asks: asks, bids: bids, totalAskQuantity: 54_321, totalBidQuantity: 43_210, sourceType: .realtime)
                return RealtimeEvent(id: id, channel: .orderbook, provider: provider, symbol: symbol, receivedAt: now, payload: .orderBook(book))
            }
            let tick = Tick(
                provider: provider, symbol: symbol, time: now, receivedAt: now, price: 71_200 + Int64(n % 40) * 100, volume: Int64(1 + n % 300),
                side: n % 3 == 0 ? .sell : .buy, change: 300, changeRate: FixedDecimal(mantissa: 42, scale: 2), cumVolume: Int64(1_000_000 + n),
                cumValue: 71_200 * Int64(1_000_000 + n), open: 70_900, high: 71_900, low: 70_800, askPrice: 71_300, bidPrice: 71_200, sourceType: .realtime
            )
            return RealtimeEvent(id: id, channel: .ticker, provider: provider, symbol: symbol, receivedAt: now, payload: .tick(tick))
        }
    }
}
