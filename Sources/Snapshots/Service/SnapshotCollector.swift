import BrokerCore
import Foundation
import HubEngine
import Logging
import ServiceLifecycle
import Synchronization

/// The snapshot collector: a `Service` that runs a `SnapshotSchedule` on the injected clock, sends each
/// cycle's calls (`SnapshotPlan`) through a hub (`SnapshotSource`), puts the answers through the
/// `SnapshotPipeline` and archives what passes to one JSONL archive and what does not to a rejects archive.
/// It sleeps while the market is closed (and says why in its status), reports a cycle that overran instead
/// of stacking the next, and on shutdown finishes the cycle in hand and rolls its files.
public final class SnapshotCollector: Service, Sendable {
    /// How one cycle went.
    public struct CycleResult: Sendable, Equatable {
        public var cycle: Int
        public var calls = 0
        public var failedCalls = 0
        public var collected = 0
        public var rejected = 0
        /// Symbols the cycle asked for that no answer covered (failed calls, unknown symbols).
        public var uncovered = 0
    }

    struct State {
        var prepared = false
        var schedule: SnapshotSchedule
        var pipeline: SnapshotPipeline
        var status: SnapshotStatus
    }

    public let configuration: SnapshotConfiguration
    let source: any SnapshotSource
    let clock: any HubClock
    let logger: Logger
    let archive: JSONLArchive
    let rejects: JSONLArchive
    let metrics: SnapshotMetrics
    private let state: Mutex<State>

    public init(
        configuration: SnapshotConfiguration, source: any SnapshotSource, calendar: KRXCalendar = KRXCalendar(),
        clock: any HubClock = SystemClock(), logger: Logger = Logger(label: "brokerhub.snapshot")
    ) {
        self.configuration = configuration
        self.source = source
        self.clock = clock
        self.logger = logger
        archive = JSONLArchive(configuration: configuration.archive)
        rejects = JSONLArchive(configuration: configuration.rejectsArchive)
        metrics = SnapshotMetrics(provider: configuration.provider, mode: configuration.mode)
        let validator = SnapshotValidator(calendar: calendar, hours: configuration.hours)
        let snapshotGuard = SnapshotGuard(
            maximumAge: configuration.maximumAge, rejectDuplicates: configuration.rejectDuplicates, rejectHalted: configuration.rejectHalted
        )
        state = Mutex(State(
            schedule: SnapshotSchedule(interval: configuration.interval, hours: configuration.hours, calendar: calendar),
            pipeline: SnapshotPipeline(validator: validator, snapshotGuard: snapshotGuard),
            status: SnapshotStatus(mode: configuration.mode, provider: configuration.provider, symbols: configuration.symbols.count)
        ))
    }

    /// What the collector is doing and has done.
    public var status: SnapshotStatus { state.withLock { $0.status } }

    // MARK: Service

    /// An archive that cannot be prepared (a directory it may not write) stops the schedule, not the process
    /// it runs in: the error is logged and shown in the status until shutdown.
    public func run() async throws {
        do {
            try await prepare()
        } catch {
            logger.error("snapshot archive cannot be prepared: the schedule does not run", metadata: ["error.message": "\(error)"])
            state.withLock {
                $0.status.phase = .stopped
                $0.status.reason = "archive: \(error)"
            }
            try? await gracefulShutdown()
            return
        }
        do {
            try await loop()
        } catch is CancellationError {
            // Shutdown while sleeping or waiting.
        }
        do {
            try await finish()
        } catch {
            archiveFailed(error)
        }
    }

    /// Repairs what an earlier run left in the archives (torn lines, unrolled files); once (`run()` calls it
    /// unless the caller did, to report a broken archive before starting).
    public func prepare() async throws {
        guard state.withLock({ state in
            defer { state.prepared = true }
            return !state.prepared
        }) else { return }
        let today = KSTDate(clock.now)
        for (name, target) in [("snapshots", archive), ("rejects", rejects)] {
            let recovery = try await target.recover(today: today)
            if recovery.tornBytes > 0 || !recovery.rolled.isEmpty || recovery.adopted != nil || recovery.daysRemoved > 0 {
                logger.notice("archive recovered", metadata: [
                    "snapshot.archive": "\(name)", "archive.torn_bytes": "\(recovery.tornBytes)", "archive.rolled": "\(recovery.rolled.count)",
                    "archive.continued": "\(recovery.adopted ?? "-")", "archive.days_removed": "\(recovery.daysRemoved)",
                ])
            }
        }
    }

    /// Rolls both archives' open files (their lines enter the day's manifest).
    public func finish() async throws {
        try await archive.close()
        try await rejects.close()
        await refreshArchiveStatistics()
        state.withLock { $0.status.phase = .stopped }
    }

    private func loop() async throws {
        var lastReason: String?
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let now = clock.now
            let action = state.withLock { $0.schedule.next(now: now) }
            switch action {
            case .sleep(let until, let reason):
                state.withLock {
                    $0.status.phase = .sleeping
                    $0.status.reason = reason
                    $0.status.nextAt = until
                }
                if reason != lastReason {
                    logger.notice("market closed: sleeping", metadata: ["snapshot.reason": "\(reason)", "snapshot.until": "\(KST.iso8601(until))"])
                    lastReason = reason
                    // The day's files are complete: roll them so the manifest lists them.
                    do {
                        try await archive.roll()
                        try await rejects.roll()
                    } catch {
                        archiveFailed(error)
                    }
                    await refreshArchiveStatistics()
                }
                try await cancelWhenGracefulShutdown { try await self.clock.sleep(until: until) }
            case .wait(let until):
                state.withLock {
                    $0.status.phase = .waiting
                    $0.status.reason = nil
                    $0.status.nextAt = until
                }
                try await cancelWhenGracefulShutdown { try await self.clock.sleep(until: until) }
            case .run(let cycle, _):
                lastReason = nil
                state.withLock {
                    $0.status.phase = .running
                    $0.status.reason = nil
                }
                let result = await runCycle(cycle)
                let finishedAt = clock.now
                guard let report = state.withLock({ state -> SnapshotSchedule.CycleReport? in
                    let report = state.schedule.finished(at: finishedAt)
                    state.status.cycles = cycle
                    state.status.lastCycle = report
                    if let report, report.overran {
                        state.status.overruns += 1
                        state.status.skippedCycles += report.skipped
                    }
                    return report
                }) else { continue }
                metrics.cycle(report)
                let metadata: Logger.Metadata = [
                    "snapshot.cycle": "\(cycle)", "snapshot.calls": "\(result.calls)", "snapshot.collected": "\(result.collected)",
                    "snapshot.rejected": "\(result.rejected)", "snapshot.failed_calls": "\(result.failedCalls)",
                    "snapshot.duration_ms": "\(Int(report.duration * 1000))", "snapshot.lag_ms": "\(Int(report.lag * 1000))",
                ]
                if report.overran {
                    logger.warning("cycle overran its interval: skipped the cycles it ran into", metadata: metadata.merging(["snapshot.skipped": "\(report.skipped)"]) { $1 })
                } else {
                    logger.info("cycle done", metadata: metadata)
                }
                if let maximum = configuration.maximumCycles, cycle >= maximum { return }
            }
        }
    }

    // MARK: One cycle

    /// Runs cycle `cycle` now: every call of the plan, `concurrency` at a time, each answer through the
    /// pipeline into the archives as it comes.
    public func runCycle(_ cycle: Int) async -> CycleResult {
        let calls = SnapshotPlan.calls(mode: configuration.mode, provider: configuration.provider, symbols: configuration.symbols)
        var result = CycleResult(cycle: cycle)
        result.calls = calls.count
        await withTaskGroup(of: CycleResult.self) { group in
            var pending = calls.makeIterator()
            for _ in 0..<configuration.concurrency {
                guard let call = pending.next() else { break }
                group.addTask { await self.perform(call, cycle: cycle) }
            }
            for await outcome in group {
                result.failedCalls += outcome.failedCalls
                result.collected += outcome.collected
                result.rejected += outcome.rejected
                result.uncovered += outcome.uncovered
                if let call = pending.next() { group.addTask { await self.perform(call, cycle: cycle) } }
            }
        }
        await refreshArchiveStatistics()
        return result
    }

    private func perform(_ call: SnapshotCall, cycle: Int) async -> CycleResult {
        var result = CycleResult(cycle: cycle)
        let answer: SnapshotAnswer
        do {
            answer = try await source.fetch(call)
        } catch let error as BrokerHubError where error.code == .notFound {
            // A single-symbol quote of a symbol the broker does not know.
            await record(snapshots: [], unanswered: call.symbols.map { ($0, error.message) }, cycle: cycle, into: &result)
            result.uncovered += call.symbols.count
            return result
        } catch {
            metrics.failedCall()
            state.withLock { $0.status.failedCalls += 1 }
            logger.warning("snapshot call failed", metadata: [
                "snapshot.tr": "\(call.transaction)", "snapshot.symbols": "\(call.symbols.count)", "error.message": "\(error)",
            ])
            result.failedCalls = 1
            result.uncovered = call.symbols.count
            return result
        }
        let receivedAt = clock.now
        let asked = Set(call.symbols)
        var seen = Set<String>()
        var snapshots: [ObservationSnapshot] = []
        for quote in answer.quotes where asked.contains(quote.symbol) && seen.insert(quote.symbol).inserted {
            snapshots.append(ObservationSnapshot(quote: quote, transaction: call.transaction, mode: configuration.mode, cycle: cycle, receivedAt: receivedAt))
        }
        let unanswered = call.symbols.filter { !seen.contains($0) }.map { symbol in
            (symbol, answer.skipped.first { $0.contains(symbol) } ?? "no row for \(symbol) in the \(call.transaction) answer")
        }
        result.uncovered = unanswered.count
        await record(snapshots: snapshots, unanswered: unanswered, cycle: cycle, into: &result)
        return result
    }

    private func record(snapshots: [ObservationSnapshot], unanswered: [(symbol: String, detail: String)], cycle: Int, into result: inout CycleResult) async {
        let now = clock.now
        let outcome = state.withLock {
            $0.pipeline.process(snapshots, unanswered: unanswered, provider: configuration.provider, mode: configuration.mode, cycle: cycle, now: now)
        }
        do {
            if !outcome.accepted.isEmpty {
                try await archive.append(outcome.accepted.map { JSONLArchive.Entry(line: SnapshotJSON.encode($0), time: $0.receivedAt) })
            }
            if !outcome.rejected.isEmpty {
                try await rejects.append(outcome.rejected.map { JSONLArchive.Entry(line: SnapshotJSON.encode($0), time: $0.at) })
            }
        } catch {
            archiveFailed(error)
        }
        metrics.collected(outcome.accepted.count)
        for rejection in outcome.rejected { metrics.rejected(rejection.reason) }
        state.withLock {
            $0.status.collected += outcome.accepted.count
            for rejection in outcome.rejected { $0.status.rejected[rejection.reason, default: 0] += 1 }
        }
        result.collected += outcome.accepted.count
        result.rejected += outcome.rejected.count
    }

    /// Counted and logged, never fatal: the next write or roll tries again (a full disk may clear), and a hub
    /// running the schedule keeps serving.
    private func archiveFailed(_ error: any Error) {
        metrics.archiveError()
        state.withLock { $0.status.archiveErrors += 1 }
        logger.error("snapshot archive write failed", metadata: ["error.message": "\(error)"])
    }

    private func refreshArchiveStatistics() async {
        let archived = await archive.statistics
        let rejected = await rejects.statistics
        let before = state.withLock { state -> (JSONLArchive.Statistics, JSONLArchive.Statistics) in
            let before = (state.status.archive, state.status.rejectsArchive)
            state.status.archive = archived
            state.status.rejectsArchive = rejected
            return before
        }
        metrics.archive("snapshots", before: before.0, after: archived)
        metrics.archive("rejects", before: before.1, after: rejected)
    }
}
