import BrokerCore
import Foundation
import Logging
import Realtime
import ServiceLifecycle
import Synchronization


/// Bus → database, nothing lost: reads the bus as consumer group `archiver`, writes batches (size or time,
/// whichever first) in one transaction each and acknowledges the bus only after the commit. Database errors are
/// retried with backoff (1, 2, 4, … s, capped); a batch the database still refuses goes to the disk spool and is
/// acknowledged once the spool is fsynced. While the database is down later batches go straight to the spool
/// (probing it at backoff intervals); when it returns the spool is replayed oldest first and each segment deleted
/// after its rows committed. On graceful shutdown the batch in hand is flushed (to the database, or the spool)
/// and the sink closed.
///
/// A batch the database refuses for its content (a data or constraint error, not an outage) is halved until
/// the refused events are isolated: the rest are written, and each refused event goes to the dead-letter
/// spool (`<spool>/dead-letter`, fsynced, counted, logged with its id) so one bad event never stalls the
/// pipeline and nothing is dropped. The ledger shows dead letters as missing.
///
/// When to write, retry, spool, probe and acknowledge is decided by the pure `ArchiverMachine`; this loop
/// performs its actions. Every wait of its own (backoff, probes, linger, the stall watch) runs on the
/// injected `HubClock`; the bus read waits on the bus.
public final class Archiver: Service {
    private let bus: any EventBus
    private let sink: any ArchiveSink
    private let spool: ArchiveSpool
    private let deadLetterSpool = Mutex<ArchiveSpool?>(nil)
    private let configuration: ArchiverConfiguration
    private let logger: Logger
    private let clock: any HubClock
    private let metrics = ArchiverMetrics()
    private let state = Mutex(ArchiverStatistics())
    private let progress = Mutex(ArchiverProgress())

    /// - Parameter clock: backoff, probes, linger and the stall watch (`ManualClock` in tests).
    public init(
        bus: any EventBus, sink: any ArchiveSink, spool: ArchiveSpool, configuration: ArchiverConfiguration = ArchiverConfiguration(),
        clock: any HubClock = SystemClock(), logger: Logger = Logger(label: "brokerhub.archiver")
    ) {
        self.bus = bus
        self.sink = sink
        self.spool = spool
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "archiver.consumer"] = "\(configuration.consumer)"
        self.logger = logger
        self.clock = clock
    }

    /// What this archiver did so far.
    public var statistics: ArchiverStatistics { state.withLock { $0 } }

    /// Seconds since the last committed batch while events are pending (0 when idle).
    public var stalledSeconds: Double { progress.withLock { $0.stalledSeconds(at: clock.now) } }

    /// The start of the last bus read that found nothing new while nothing was in hand and the spool was empty: every
    /// event published before it was delivered and committed (or lost). `LedgerLossCheck` judges the ledger by it.
    public var caughtUpAt: Date? { progress.withLock { $0.caughtUpAt } }

    /// Whether the stall is past `configuration.stallThreshold` (`/ready` fails then).
    public var isStalled: Bool { stalledSeconds >= configuration.stallThreshold.timeInterval }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.watch() }
            try await self.archive()
            group.cancelAll()
        }
    }

    /// Every `watchInterval`: the stall metric, and an alert (error log, counter, `stalled` gauge) when the
    /// stall passes the threshold — a stall is never silent.
    private func watch() async {
        while !Task.isCancelled {
            do { try await clock.sleep(for: configuration.watchInterval) } catch { return }
            let now = clock.now
            let (seconds, alert) = progress.withLock { ($0.stalledSeconds(at: now), $0.check(at: now, threshold: configuration.stallThreshold)) }
            metrics.stallSeconds.record(seconds)
            switch alert {
            case .none:
                break
            case .raised(let seconds):
                metrics.stalls.increment()
                metrics.stalled.record(1)
                logger.error("archiver stalled: events are pending and no batch was committed", metadata: [
                    "archiver.stall_seconds": "\(Int(seconds))", "archiver.threshold_seconds": "\(Int(configuration.stallThreshold.timeInterval))",
                    "archiver.spooled": "\(statistics.spooledEvents)", "archiver.database_errors": "\(statistics.databaseErrors)",
                ])
            case .cleared(let seconds):
                metrics.stalled.record(0)
                logger.notice("archiver committing again", metadata: ["archiver.stall_seconds": "\(Int(seconds))"])
            }
        }
    }

    private func archive() async throws {
        var machine = ArchiverMachine(configuration: configuration)
        var spoolPending = await !spool.isEmpty
        if spoolPending { progress.withLock { $0.received(at: clock.now) } }
        do {
            try await sink.prepare()
        } catch {
            recordDatabaseError(error, context: "prepare")
            update(&machine) { $0.databaseFailed(at: clock.now) }
        }
        logger.info("archiver started", metadata: ["archiver.group": "\(configuration.group)", "archiver.spool_pending": "\(spoolPending)"])
        var batch = try await collectBatch()
        while true {
            try Task.checkCancellation()
            if spoolPending, machine.databaseDue(at: clock.now) {
                spoolPending = try await replaySpool(&machine)
            }
            guard !batch.deliveries.isEmpty else {
                if !spoolPending { progress.withLock { $0.drained() } }
                // Caught up only when the bus answered that nothing is left — a read that failed (the bus down) says
                // nothing — and everything read before it is committed (or spooled: then not caught up).
                if batch.foundNothing, !spoolPending { progress.withLock { $0.foundNothing(since: batch.started) } }
                if Task.isShuttingDownGracefully { break }
                batch = try await collectBatch()
                continue
            }
            // The next read runs while this batch is written (and acknowledged): the bus round trips no longer add to
            // the database's. At most one batch waits in hand; it stays `pending` for the stall watch.
            let shuttingDown = Task.isShuttingDownGracefully
            async let following = shuttingDown ? Batch(started: clock.now) : collectBatch()
            if try await persist(batch.deliveries, machine: &machine) { spoolPending = true }
            batch = try await following
        }
        // Graceful shutdown: collectBatch returned early with what it had; that batch is already persisted.
        logger.info("archiver stopping", metadata: ["archiver.batches": "\(statistics.batches)", "archiver.spooled": "\(statistics.spooledEvents)"])
        await spool.close()
        try? await sink.close()
    }

    /// Applies `change` to the machine, logging when the database goes down or comes back.
    @discardableResult
    private func update<T>(_ machine: inout ArchiverMachine, _ change: (inout ArchiverMachine) -> T) -> T {
        let wasUp = machine.health == .up
        let result = change(&machine)
        switch (wasUp, machine.health == .up) {
        case (true, false): logger.error("database unavailable; spooling batches")
        case (false, true): logger.notice("database available again")
        default: break
        }
        return result
    }

    /// What one `collectBatch` read.
    private struct Batch: Sendable {
        var deliveries: [BusDelivery] = []
        /// The bus answered the first read with nothing (not a failed read).
        var foundNothing = false
        /// When the first read started.
        var started: Date
    }

    /// Up to `batchSize` deliveries, waiting at most `lingerTime` after the first; empty after one idle wait (so
    /// the loop can probe, replay or stop). Returns early with what it has on graceful shutdown.
    private func collectBatch() async throws -> Batch {
        let started = clock.now
        var deliveries: [BusDelivery] = []
        var foundNothing = false
        var deadline: Date?
        while deliveries.count < configuration.batchSize, !Task.isShuttingDownGracefully {
            var wait = configuration.readWait
            if let deadline {
                let remaining = deadline.timeIntervalSince(clock.now)
                if remaining <= 0 { break }
                wait = min(wait, .seconds(remaining))
            }
            let read: [BusDelivery]
            do {
                read = try await bus.read(
                    group: configuration.group, consumer: configuration.consumer,
                    maximum: configuration.batchSize - deliveries.count, wait: wait
                )
            } catch {
                if Task.isCancelled { throw CancellationError() }
                logger.warning("bus read failed", metadata: ["error": "\(error)"])
                if deliveries.isEmpty { try? await clock.sleep(for: configuration.readWait) }
                break
            }
            // Empty: nothing came within the wait, so the batch goes now (the bus waited, not our clock).
            if read.isEmpty {
                foundNothing = deliveries.isEmpty
                break
            }
            if deadline == nil { deadline = clock.now.addingTimeInterval(configuration.lingerTime.timeInterval) }
            deliveries += read
            state.withLock { $0.received += read.count }
            progress.withLock { $0.received(at: clock.now) }
        }
        return Batch(deliveries: deliveries, foundNothing: foundNothing, started: started)
    }

    /// Performs what the machine decides for one batch — write (retrying), spool, acknowledge — until it is
    /// acknowledged or abandoned. Returns true when it was spooled.
    private func persist(_ deliveries: [BusDelivery], machine: inout ArchiverMachine) async throws -> Bool {
        let events = deliveries.map(\.event)
        var action = update(&machine) { $0.batchRead(at: clock.now, shuttingDown: Task.isShuttingDownGracefully) }
        while true {
            switch action {
            case .write(let delay):
                if delay > .zero { try await clock.sleep(for: delay) }
                let stored = try await store(events)
                action = update(&machine) { stored ? $0.written() : $0.writeFailed(at: clock.now, shuttingDown: Task.isShuttingDownGracefully) }
            case .spool:
                do {
                    try await spool.append(events)
                    action = machine.spooled()
                } catch {
                    logger.error("spool write failed; batch not acknowledged", metadata: ["error": "\(error)"])
                    action = machine.spoolFailed(shuttingDown: Task.isShuttingDownGracefully)
                }
            case .acknowledge(let spooled):
                if spooled {
                    metrics.spooled.increment(by: events.count)
                    state.withLock { $0.spooledEvents += events.count }
                    logger.warning("batch spooled", metadata: ["archiver.events": "\(events.count)"])
                }
                await acknowledge(deliveries)
                return spooled
            case .abandon:
                return false  // left unacknowledged: the bus delivers it again
            }
        }
    }

    private enum WriteOutcome {
        case written
        /// The database is unreachable or failed (retry later).
        case unavailable
        /// The database refused these rows for their content: retrying the same batch cannot help.
        case rejected(String)
    }

    /// One database attempt (failures counted and logged). Cancellation propagates.
    private func writeToDatabase(_ events: [RealtimeEvent]) async throws -> WriteOutcome {
        let start = clock.now
        do {
            let summary = try await sink.write(events)
            metrics.batchLatency.recordNanoseconds(Int64((clock.now.timeIntervalSince(start) * 1e9).rounded()))
            metrics.batches.increment()
            metrics.recordRows(summary)
            progress.withLock { $0.committed(at: clock.now) }
            state.withLock {
                $0.batches += 1
                $0.rowsInserted += summary.total
            }
            logger.debug("batch committed", metadata: ["archiver.events": "\(events.count)", "archiver.inserted": "\(summary.total)"])
            return .written
        } catch {
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            recordDatabaseError(error, context: "write")
            return sink.rejects(error) ? .rejected("\(error)") : .unavailable
        }
    }

    /// Writes `events`, isolating any the database refuses for their content by halving the batch: those go to
    /// the dead-letter spool, the rest to the database. False when the database is unavailable (nothing of
    /// what is left was written; a retry skips rows already stored).
    private func store(_ events: [RealtimeEvent]) async throws -> Bool {
        switch try await writeToDatabase(events) {
        case .written:
            return true
        case .unavailable:
            return false
        case .rejected(let reason):
            guard events.count > 1 else {
                try await deadLetter(events[0], reason: reason)
                return true
            }
            let middle = events.count / 2
            guard try await store(Array(events[..<middle])) else { return false }
            return try await store(Array(events[middle...]))
        }
    }

    /// Keeps one refused event durably in the dead-letter spool.
    private func deadLetter(_ event: RealtimeEvent, reason: String) async throws {
        let spool = try deadLetterSpool.withLock { current -> ArchiveSpool in
            if let current { return current }
            let opened = try ArchiveSpool(directory: self.spool.directory.appendingPathComponent("dead-letter"))
            current = opened
            return opened
        }
        try await spool.append([event])
        metrics.deadLetters.increment()
        state.withLock { $0.deadLettered += 1 }
        logger.error("event refused by the database; kept in the dead-letter spool", metadata: [
            "event.id": "\(event.id)", "event.channel": "\(event.channel.rawValue)", "error": "\(reason)",
            "archiver.dead_letter": "\(spool.directory.path)",
        ])
    }

    /// Replays spool segments oldest first; returns whether anything is left in the spool.
    private func replaySpool(_ machine: inout ArchiverMachine) async throws -> Bool {
        await spool.seal()
        for segment in await spool.segments() {
            let events = try await spool.events(in: segment)
            var offset = 0
            while offset < events.count {
                let chunk = Array(events[offset..<min(events.count, offset + configuration.batchSize)])
                guard try await store(chunk) else {
                    update(&machine) { $0.databaseFailed(at: clock.now) }
                    return true
                }
                offset += chunk.count
            }
            try await spool.remove(segment)
            metrics.replayed.increment(by: events.count)
            state.withLock { $0.replayedEvents += events.count }
            logger.info("spool segment replayed", metadata: ["archiver.segment": "\(segment.lastPathComponent)", "archiver.events": "\(events.count)"])
        }
        update(&machine) { $0.databaseAnswered() }
        return false
    }

    private func acknowledge(_ deliveries: [BusDelivery]) async {
        do {
            try await bus.acknowledge(deliveries, group: configuration.group)
            state.withLock { $0.acknowledged += deliveries.count }
        } catch {
            // The rows (or spool records) are durable; a redelivery is deduplicated by event id.
            metrics.acknowledgeErrors.increment()
            logger.warning("bus acknowledge failed; events will be redelivered and deduplicated", metadata: ["error": "\(error)"])
        }
    }

    private func recordDatabaseError(_ error: any Error, context: String) {
        metrics.databaseErrors.increment()
        state.withLock { $0.databaseErrors += 1 }
        logger.warning("database error", metadata: ["archiver.operation": "\(context)", "error": "\(error)"])
    }
}
