import BrokerCore
import Foundation

/// How a `JournalEventBus` stores, batches, redelivers and retains events.
public struct JournalEventBusConfiguration: Sendable {
    /// How hard a commit is pushed to disk.
    public enum Durability: String, Sendable {
        /// fsync on every commit (`PRAGMA synchronous = FULL`): a committed publish survives power loss.
        case full
        /// fsync at checkpoints only (`synchronous = NORMAL`): survives a process crash, not power loss.
        case normal
    }

    /// The SQLite file (created with its directory if missing). Several processes may open the same path.
    public var path: String
    /// Deliveries not acknowledged for this long go to any consumer of their group.
    public var redeliverAfter: Duration = .seconds(30)
    /// How long a commit leader lingers for more publishers before committing. The default, 0, commits at
    /// once: publishers arriving while a commit runs form the next batch, so the batching window is bounded
    /// by one commit's duration (measured: a linger of 2 ms only slows single-event publishers down).
    public var commitWindow: Duration = .zero
    /// At most this many events per commit.
    public var maxBatch = 1_000
    public var durability = Durability.full
    /// Acknowledged events are deleted once every known group has acknowledged them and they are older
    /// than this.
    public var retention: Duration = .seconds(3_600)
    /// How often `run()` compacts.
    public var compactionInterval: Duration = .seconds(60)
    /// How often a waiting reader looks for events from other processes (events published in this process
    /// wake it at once).
    public var pollInterval: Duration = .milliseconds(10)
    /// Groups known from the start, so retention keeps events for them even before their first read.
    public var groups: [String] = []
    /// Events buffered per live subscriber.
    public var liveBufferSize = 4_096
    /// Time for leases, retention, compaction, the commit window and read waits (`ManualClock` in tests).
    public var clock: any HubClock = SystemClock()

    public init(path: String) {
        self.path = path
    }
}
