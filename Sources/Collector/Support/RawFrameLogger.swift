import BrokerCore
import Foundation
import Logging
import Metrics
import Realtime
import ServiceLifecycle
import Synchronization

/// Appends every raw realtime frame to hourly files, `DIR/{provider}/YYYYMMDDHH.log` (KST hour of receipt),
/// one line per frame: `ISO-time \t session \t note \t frame` with `\`, tab, CR and LF escaped.
///
/// - `record` never waits for I/O: it appends to a bounded in-memory queue and wakes the writer loop, which
///   writes whatever has accumulated as one batch per file.
/// - **Overflow policy: drop the newest.** When `capacity` frames are already waiting, the frame being recorded
///   is dropped (never an older one), counted in `brokerhub_rawlog_dropped_total{reason="queue_full"}` and
///   `droppedFrames`, and a warning is logged at most once per `overflowLogInterval`.
/// - Disk guard: before each batch, if the file system holding `DIR` is at least `diskUsageThreshold` full,
///   the batch is discarded (`reason="disk_full"`), `onAlert` gets one `rawlog.disk_full` alert per episode,
///   and writing resumes once usage falls below the threshold.
/// - Retention: files whose hour ended more than `retention` ago are deleted at start-up and every `sweepInterval`.
/// - On graceful shutdown (or `finish()`) the queue is drained, files are flushed and closed, and `run` returns.
public final class RawFrameLogger: Service, Sendable {
    public struct Configuration: Sendable {
        public var directory: URL
        /// Frames waiting for the writer before new ones are dropped.
        public var capacity: Int
        public var retention: Duration
        public var sweepInterval: Duration
        /// Used fraction (0...1) of the file system at or above which raw frames are not written.
        public var diskUsageThreshold: Double
        public var overflowLogInterval: Duration

        public init(
            directory: URL,
            capacity: Int = 100_000,
            retention: Duration = .seconds(48 * 3600),
            sweepInterval: Duration = .seconds(600),
            diskUsageThreshold: Double = 0.9,
            overflowLogInterval: Duration = .seconds(60)
        ) {
            self.directory = directory
            self.capacity = capacity
            self.retention = retention
            self.sweepInterval = sweepInterval
            self.diskUsageThreshold = diskUsageThreshold
            self.overflowLogInterval = overflowLogInterval
        }
    }

    struct Entry: Sendable {
        var provider: Provider
        var session: String
        var frame: String
        var receivedAt: Date
        var note: String?
    }

    struct State {
        var pending: [Entry] = []
        var finished = false
        var dropped = 0
        var suppressed = 0
        var written = 0
        var paused = false
    }

    public let configuration: Configuration
    let clock: any HubClock
    let logger: Logger
    let diskUsage: @Sendable (String) -> Double?
    let onAlert: @Sendable (RealtimeAlert) -> Void
    let state = Mutex(State())
    let wakeups: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation
    let droppedCounter = Counter(label: "brokerhub_rawlog_dropped_total", dimensions: [("reason", "queue_full")])
    let suppressedCounter = Counter(label: "brokerhub_rawlog_dropped_total", dimensions: [("reason", "disk_full")])
    let writtenCounter = Counter(label: "brokerhub_rawlog_frames_total")

    /// - Parameters:
    ///   - diskUsage: used fraction of the file system holding a path (default `statvfs`); nil when unknown
    ///     (then writing goes on). Injected so tests can fill the disk.
    ///   - onAlert: called once each time the disk guard stops writing.
    public init(
        configuration: Configuration,
        clock: any HubClock = SystemClock(),
        logger: Logger = Logger(label: "brokerhub.collector.rawlog"),
        diskUsage: @escaping @Sendable (String) -> Double? = RawFrameLogger.fileSystemUsage(atPath:),
        onAlert: @escaping @Sendable (RealtimeAlert) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.diskUsage = diskUsage
        self.onAlert = onAlert
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues one raw frame for the log; never blocks. Dropped (and counted) when the queue is full or the
    /// logger has finished.
    public func record(provider: Provider, session: String, frame: String, receivedAt: Date, note: String? = nil) {
        let accepted = state.withLock { state -> Bool in
            guard !state.finished, state.pending.count < configuration.capacity else {
                state.dropped += 1
                return false
            }
            state.pending.append(Entry(provider: provider, session: session, frame: frame, receivedAt: receivedAt, note: note))
            return true
        }
        if accepted { wake.yield() } else { droppedCounter.increment() }
    }

    /// Frames dropped because the queue was full (or the logger had finished).
    public var droppedFrames: Int { state.withLock { $0.dropped } }
    /// Frames discarded by the disk guard.
    public var suppressedFrames: Int { state.withLock { $0.suppressed } }
    /// Frames written to files.
    public var writtenFrames: Int { state.withLock { $0.written } }
    /// Whether the disk guard is currently holding writes back.
    public var isPaused: Bool { state.withLock { $0.paused } }

    /// Stops accepting frames; `run` drains the queue, flushes, closes its files and returns.
    public func finish() {
        state.withLock { $0.finished = true }
        wake.finish()
    }

    public func run() async throws {
        try? FileManager.default.createDirectory(at: configuration.directory, withIntermediateDirectories: true)
        sweep()
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [self] in
                    while !Task.isCancelled {
                        do { try await clock.sleep(for: configuration.sweepInterval) } catch { return }
                        sweep()
                    }
                }
                await writeUntilFinished()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.finish()
        }
    }
}
