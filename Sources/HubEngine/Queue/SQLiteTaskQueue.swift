import BrokerCore
import Foundation
import GRDB
import Synchronization

/// The embedded, durable `TaskQueue`: every task lives in the `hub_tasks` table of a `HubDatabase`, so
/// queued work and held leases survive a restart (a crashed worker's lease expires and the task is
/// recovered by `recoverExpiredLeases`). Only the `ShareScheduler` credits are kept in memory.
///
/// Each operation is one SQLite transaction; `lease` picks the class and the oldest task of that class and
/// marks it leased atomically, so concurrent workers (and processes sharing the file) never get the same
/// task from one lease. The `attempts` column counts leases (`TaskRecord.leases`).
public final class SQLiteTaskQueue: TaskQueue {
    private let database: HubDatabase
    private let clock: any HubClock
    private let scheduler: Mutex<ShareScheduler>

    /// A queue over `database`'s `hub_tasks` table, timed by `clock`, scheduling classes with `scheduler`.
    public init(database: HubDatabase, clock: any HubClock = SystemClock(), scheduler: ShareScheduler = ShareScheduler()) {
        self.database = database
        self.clock = clock
        self.scheduler = Mutex(scheduler)
    }

    private var writer: any DatabaseWriter { database.writer }

    private static let columns = "id, state, payload, lease_owner, lease_expires_at, attempts, outcome, updated_at"

    public func enqueue(_ task: HubTask) async throws -> (record: TaskRecord, created: Bool) {
        let payload = try TaskQueueCoding.encode(task)
        let now = TaskQueueCoding.seconds(clock.now)
        return try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO hub_tasks (id, idempotency_key, priority, state, payload, enqueued_at, attempts, updated_at)
                    VALUES (?, ?, ?, 'queued', ?, ?, 0, ?)
                    ON CONFLICT DO NOTHING
                    """,
                arguments: [task.id, task.idempotencyKey, task.priority.rawValue, payload,
                            TaskQueueCoding.seconds(task.enqueuedAt), now]
            )
            let created = db.changesCount > 0
            // A conflict on the idempotency key returns that task; one on the id alone returns the task
            // with that id (a resubmission of the very same task).
            let existing = try task.idempotencyKey.flatMap { try Self.fetch(db, idempotencyKey: $0) }
                ?? Self.fetch(db, id: task.id)
            guard let record = existing else {
                throw BrokerHubError(.invalidArgument, "task \(task.id) was neither stored nor found")
            }
            return (record, created)
        }
    }

    public func lease(owner: String, for duration: Duration) async throws -> HubTask? {
        let now = clock.now
        let expires = TaskQueueCoding.seconds(now.addingTimeInterval(duration.timeInterval))
        let nowSeconds = TaskQueueCoding.seconds(now)
        return try await writer.write { db in
            let classes = try Int.fetchAll(db, sql: "SELECT DISTINCT priority FROM hub_tasks WHERE state = 'queued'")
            let pending = Set(classes.compactMap(Priority.init(rawValue:)))
            guard let chosen = self.scheduler.withLock({ $0.choose(pending: pending) }) else { return nil }
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT seq, id, payload FROM hub_tasks WHERE state = 'queued' AND priority = ? ORDER BY seq LIMIT 1",
                    arguments: [chosen.rawValue]
                )
            else { return nil }
            let seq: Int64 = row["seq"]
            let id: String = row["id"]
            try db.execute(
                sql: """
                    UPDATE hub_tasks SET state = 'leased', lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1,
                        updated_at = ?
                    WHERE seq = ?
                    """,
                arguments: [owner, expires, nowSeconds, seq]
            )
            return try TaskQueueCoding.decodeTask(row["payload"], id: id)
        }
    }

    public func renew(_ id: String, owner: String, for duration: Duration) async throws -> Bool {
        let now = clock.now
        let expires = TaskQueueCoding.seconds(now.addingTimeInterval(duration.timeInterval))
        let nowSeconds = TaskQueueCoding.seconds(now)
        return try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE hub_tasks SET lease_expires_at = ?, updated_at = ?
                    WHERE id = ? AND state = 'leased' AND lease_owner = ?
                    """,
                arguments: [expires, nowSeconds, id, owner]
            )
            return db.changesCount > 0
        }
    }

    public func complete(_ id: String, owner: String, outcome: TaskOutcome, succeeded: Bool) async throws -> Bool {
        let data = try TaskQueueCoding.encode(outcome)
        let now = TaskQueueCoding.seconds(clock.now)
        let state = succeeded ? TaskState.succeeded : TaskState.failed
        return try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE hub_tasks SET state = ?, outcome = ?, finished_at = ?, updated_at = ?,
                        lease_owner = NULL, lease_expires_at = NULL
                    WHERE id = ? AND state = 'leased' AND lease_owner = ?
                    """,
                arguments: [state.rawValue, data, now, now, id, owner]
            )
            return db.changesCount > 0
        }
    }

    public func release(_ id: String, owner: String) async throws {
        let now = TaskQueueCoding.seconds(clock.now)
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE hub_tasks SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
                    WHERE id = ? AND state = 'leased' AND lease_owner = ?
                    """,
                arguments: [now, id, owner]
            )
        }
    }

    public func cancel(_ id: String) async throws -> TaskRecord? {
        let now = TaskQueueCoding.seconds(clock.now)
        return try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE hub_tasks SET state = 'cancelled', finished_at = ?, updated_at = ?,
                        lease_owner = NULL, lease_expires_at = NULL
                    WHERE id = ? AND state IN ('queued', 'leased')
                    """,
                arguments: [now, now, id]
            )
            return try Self.fetch(db, id: id)
        }
    }

    public func record(id: String) async throws -> TaskRecord? {
        try await writer.read { db in try Self.fetch(db, id: id) }
    }

    public func record(idempotencyKey: String) async throws -> TaskRecord? {
        try await writer.read { db in try Self.fetch(db, idempotencyKey: idempotencyKey) }
    }

    public func recoverExpiredLeases() async throws -> Int {
        let now = TaskQueueCoding.seconds(clock.now)
        return try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE hub_tasks SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
                    WHERE state = 'leased' AND lease_expires_at < ?
                    """,
                arguments: [now, now]
            )
            return db.changesCount
        }
    }

    public func purge(finishedBefore instant: Date) async throws -> Int {
        let before = TaskQueueCoding.seconds(instant)
        return try await writer.write { db in
            try db.execute(
                sql: """
                    DELETE FROM hub_tasks
                    WHERE state IN ('succeeded', 'failed', 'cancelled') AND finished_at IS NOT NULL AND finished_at < ?
                    """,
                arguments: [before]
            )
            return db.changesCount
        }
    }

    public func depth() async throws -> [Priority: Int] {
        try await writer.read { db in
            var depth = Dictionary(uniqueKeysWithValues: Priority.allCases.map { ($0, 0) })
            let rows = try Row.fetchAll(
                db, sql: "SELECT priority, COUNT(*) AS n FROM hub_tasks WHERE state = 'queued' GROUP BY priority"
            )
            for row in rows {
                if let priority = Priority(rawValue: row["priority"]) { depth[priority] = row["n"] }
            }
            return depth
        }
    }

    // MARK: - Rows

    private static func fetch(_ db: Database, id: String) throws -> TaskRecord? {
        try Row.fetchOne(db, sql: "SELECT \(columns) FROM hub_tasks WHERE id = ?", arguments: [id]).map(record(from:))
    }

    private static func fetch(_ db: Database, idempotencyKey: String) throws -> TaskRecord? {
        try Row.fetchOne(db, sql: "SELECT \(columns) FROM hub_tasks WHERE idempotency_key = ?", arguments: [idempotencyKey])
            .map(record(from:))
    }

    private static func record(from row: Row) throws -> TaskRecord {
        let id: String = row["id"]
        let stateName: String = row["state"]
        guard let state = TaskState(rawValue: stateName) else {
            throw BrokerHubError(.malformedPayload, "stored task \(id): unknown state \(stateName)")
        }
        let outcome: Data? = row["outcome"]
        let expires: Double? = row["lease_expires_at"]
        return TaskRecord(
            task: try TaskQueueCoding.decodeTask(row["payload"], id: id),
            state: state,
            outcome: try outcome.map { try TaskQueueCoding.decodeOutcome($0, id: id) },
            leaseOwner: row["lease_owner"],
            leaseExpiresAt: expires.map(TaskQueueCoding.date),
            leases: row["attempts"],
            updatedAt: TaskQueueCoding.date(row["updated_at"])
        )
    }
}
