import Archiver
import BrokerCore
import Foundation
import HubEngine
import Logging
import Synchronization

/// Performs a `HistoryPlan`: each step's candles from the `HistorySource`, stored with the step's checkpoint in one
/// transaction (`ArchiveSink.writeCandles`), `concurrency` steps at a time (the hub's queue and budget pace them). A
/// symbol the broker does not know fails alone (its other steps are skipped, the rest go on); the hub or the archive
/// being unavailable stops the run — what was stored stays, and the next run resumes after it.
public final class HistoryCollector: Sendable {
    /// Where the run is.
    public struct Progress: Sendable, Equatable {
        public var stepsDone = 0
        public var stepsTotal = 0
        public var candlesInserted = 0
        public var candlesUpdated = 0
        public var calls = 0
        /// Symbols (provider/symbol) that failed, with the reason.
        public var failed: [String: String] = [:]
    }

    /// How the run ended.
    public enum Outcome: Sendable, Equatable {
        /// Every step stored (failed symbols are in the progress).
        case finished
        /// Stopped by an error that every later step would meet too.
        case stopped(BrokerHubError.Code, String)
    }

    let plan: HistoryPlan
    let source: any HistorySource
    let store: any ArchiveSink
    let concurrency: Int
    let clock: any HubClock
    let logger: Logger
    private let state = Mutex(Progress())

    public init(plan: HistoryPlan, source: any HistorySource, store: any ArchiveSink, concurrency: Int = 4, clock: any HubClock = SystemClock(), logger: Logger) {
        self.plan = plan
        self.source = source
        self.store = store
        self.concurrency = max(1, concurrency)
        self.clock = clock
        self.logger = logger
        state.withLock { $0.stepsTotal = plan.steps.count }
    }

    public var progress: Progress { state.withLock { $0 } }

    public func run() async -> Outcome {
        var next = 0
        let steps = plan.steps
        return await withTaskGroup(of: Outcome?.self) { group in
            func startNext() {
                while next < steps.count {
                    let step = steps[next]
                    next += 1
                    if state.withLock({ $0.failed[Self.name(step)] != nil }) {
                        state.withLock { $0.stepsDone += 1 }
                        continue
                    }
                    group.addTask { await self.perform(step) }
                    return
                }
            }
            for _ in 0..<concurrency { startNext() }
            while let result = await group.next() {
                if let stop = result {
                    group.cancelAll()
                    return stop
                }
                startNext()
            }
            return .finished
        }
    }

    static func name(_ step: HistoryPlan.Step) -> String { "\(step.provider.rawValue)/\(step.symbol)" }

    /// The step's candles, waiting out the hub's own errors (`HubWaits`).
    private func fetch(_ step: HistoryPlan.Step) async throws -> [Candle] {
        try await HubWaits.retrying(clock: clock) {
            try await source.candles(provider: step.provider, symbol: step.symbol, interval: step.interval, from: step.from, to: step.to)
        }
    }

    /// One step; nil when the run may go on.
    private func perform(_ step: HistoryPlan.Step) async -> Outcome? {
        do {
            let candles = try await fetch(step)
            let checkpoint = step.through.map { CandleCheckpoint(provider: step.provider, symbol: step.symbol, interval: step.interval, through: $0) }
            let written = try await store.writeCandles(candles, checkpoint: checkpoint, now: clock.now)
            state.withLock { progress in
                progress.stepsDone += 1
                progress.calls += step.calls
                progress.candlesInserted += written.inserted
                progress.candlesUpdated += written.updated
            }
            return nil
        } catch let error as BrokerHubError where HubWaits.waitsOut(error) {
            return .stopped(error.code, error.message)
        } catch let error as BrokerHubError {
            logger.warning("history: symbol failed", metadata: ["history.symbol": "\(Self.name(step))", "error.code": "\(error.code)", "error.message": "\(error.message)"])
            state.withLock { progress in
                progress.stepsDone += 1
                progress.failed[Self.name(step)] = "\(error.code): \(error.message)"
            }
            return nil
        } catch is CancellationError {
            return .stopped(BrokerHubError.Code(rawValue: "history.cancelled"), "cancelled")
        } catch {
            // The archive (GRDB, postgres-nio) failing: every later step would fail too.
            return .stopped(BrokerHubError.Code(rawValue: "sink.unavailable"), "\(error)")
        }
    }
}
