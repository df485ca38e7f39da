import BrokerCore
import BrokerWire
import Foundation

/// What a snapshot collector is doing and has done, for its status endpoint and the log.
public struct SnapshotStatus: Sendable {
    public enum Phase: String, Sendable {
        case starting
        /// The market is closed (`reason`) until `nextAt`.
        case sleeping
        /// Between cycles until `nextAt`.
        case waiting
        case running
        case stopped
    }

    public var mode: ObservationSnapshot.Mode
    public var provider: Provider
    public var symbols: Int
    public var phase: Phase = .starting
    public var reason: String?
    public var nextAt: Date?
    public var cycles = 0
    public var overruns = 0
    public var skippedCycles = 0
    public var lastCycle: SnapshotSchedule.CycleReport?
    public var collected = 0
    public var rejected: [SnapshotRejection.Reason: Int] = [:]
    public var failedCalls = 0
    /// Archive writes that failed (logged; the next write tries again).
    public var archiveErrors = 0
    public var archive = JSONLArchive.Statistics()
    public var rejectsArchive = JSONLArchive.Statistics()

    public init(mode: ObservationSnapshot.Mode, provider: Provider, symbols: Int) {
        self.mode = mode
        self.provider = provider
        self.symbols = symbols
    }

    public func json() -> String {
        var object = JSONWriter.Object()
        object.add("mode", mode.rawValue)
        object.add("provider", provider.rawValue)
        object.add("symbols", Int64(symbols))
        object.add("phase", phase.rawValue)
        object.add("reason", reason)
        object.add("next_at", nextAt.map(KST.iso8601))
        object.add("cycles", Int64(cycles))
        object.add("overruns", Int64(overruns))
        object.add("skipped_cycles", Int64(skippedCycles))
        if let last = lastCycle {
            var cycle = JSONWriter.Object()
            cycle.add("cycle", Int64(last.cycle))
            cycle.add("started_at", KST.iso8601(last.startedAt))
            cycle.add("duration_ms", Int64(last.duration * 1000))
            cycle.add("lag_ms", Int64(last.lag * 1000))
            cycle.add("overran", last.overran)
            object.add("last_cycle", raw: cycle.json)
        }
        object.add("collected", Int64(collected))
        var reasons = JSONWriter.Object()
        for reason in SnapshotRejection.Reason.allCases { reasons.add(reason.rawValue, Int64(rejected[reason] ?? 0)) }
        object.add("rejected", raw: reasons.json)
        object.add("failed_calls", Int64(failedCalls))
        object.add("archive_errors", Int64(archiveErrors))
        object.add("files_rolled", Int64(archive.filesRolled))
        object.add("lines_written", Int64(archive.lines))
        object.add("bytes_written", Int64(archive.bytes))
        object.add("rejects_written", Int64(rejectsArchive.lines))
        return object.json
    }
}
