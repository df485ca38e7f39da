import BrokerHubTesting
import Archiver
import BrokerCore
import Foundation
import Logging
import Realtime
import ServiceLifecycle

/// An archiver running in its own service group, stopped like SIGTERM stops it (graceful shutdown).
struct RunningArchiver {
    let archiver: Archiver
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    init(
        bus: any EventBus, sink: any ArchiveSink, spool: ArchiveSpool, configuration: ArchiverConfiguration = .testing,
        clock: any HubClock = SystemClock()
    ) {
        var logger = Logger(label: "test.archiver")
        logger.logLevel = .warning
        archiver = Archiver(bus: bus, sink: sink, spool: spool, configuration: configuration, clock: clock, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: archiver)], logger: logger))
        self.group = group
        task = Task { try await group.run() }
    }

    /// Graceful shutdown, then waits for the archiver to finish (it flushes and closes the sink).
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

extension ArchiverConfiguration {
    /// Small batches, short waits: many batches in a test, fast probes while the database is down.
    static var testing: ArchiverConfiguration {
        var configuration = ArchiverConfiguration()
        configuration.consumer = "test-archiver"
        configuration.batchSize = 1_000
        configuration.lingerTime = .milliseconds(50)
        configuration.readWait = .milliseconds(50)
        configuration.attemptsBeforeSpooling = 2
        configuration.backoffBase = .milliseconds(20)
        configuration.backoffCap = .milliseconds(200)
        return configuration
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes (generous: correctness, not speed).
func eventually(timeout: Duration = .seconds(120), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// A fresh journal bus in its own directory.
func makeJournalBus(_ directory: URL, redeliverAfter: Duration = .seconds(30)) throws -> JournalEventBus {
    var configuration = JournalEventBusConfiguration(path: directory.appendingPathComponent("bus.sqlite").path)
    configuration.redeliverAfter = redeliverAfter
    configuration.groups = ["archiver"]
    return try JournalEventBus(configuration: configuration)
}

/// `count` distinct events (ids `{run}-{n}`), published in chunks of 1,000.
func publish(_ count: Int, run: String, to bus: any EventBus) async throws -> [RealtimeEvent] {
    let events = BusEventSamples.mixed(count: count, run: run)
    var offset = 0
    while offset < events.count {
        try await bus.publish(Array(events[offset..<min(events.count, offset + 1_000)]))
        offset += 1_000
    }
    return events
}

/// Forwards everything but drops acknowledgements: the archiver "crashes" between commit and ack.
struct NonAcknowledgingBus: EventBus {
    let base: any EventBus
    func publish(_ events: [RealtimeEvent]) async throws { try await base.publish(events) }
    func read(group: String, consumer: String, maximum: Int, wait: Duration) async throws -> [BusDelivery] {
        try await base.read(group: group, consumer: consumer, maximum: maximum, wait: wait)
    }
    func acknowledge(_ deliveries: [BusDelivery], group: String) async throws {}
    func publishedCounts() async throws -> [LedgerKey: Int64] { try await base.publishedCounts() }
    func live(pattern: String) async throws -> AsyncStream<RealtimeEvent> { try await base.live(pattern: pattern) }
}
