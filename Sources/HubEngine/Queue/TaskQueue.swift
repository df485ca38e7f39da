import Foundation

/// The durable priority queue every broker call waits in. Implementations: `SQLiteTaskQueue` (embedded),
/// `InMemoryTaskQueue` (tests, ephemeral), and a Redis Streams one in distributed mode. All pass the same
/// behavioural suite.
///
/// Scheduling: highest `Priority` first, FIFO within a class, except that a class with a configured
/// minimum share that has fallen behind is served first (`ShareScheduler`), so backfill never starves.
/// Delivery is at-least-once: a lease that expires (crashed worker) puts the task back.
public protocol TaskQueue: Sendable {
    /// Adds a task. When its idempotency key is already known, returns the existing record and `false`.
    func enqueue(_ task: HubTask) async throws -> (record: TaskRecord, created: Bool)

    /// Leases the next task for `owner` until `duration` from now, or nil when nothing is queued.
    func lease(owner: String, for duration: Duration) async throws -> HubTask?

    /// Extends a lease `owner` still holds; false when it was lost.
    func renew(_ id: String, owner: String, for duration: Duration) async throws -> Bool

    /// Finishes a task `owner` holds as succeeded or failed; false when the lease was lost (the result is
    /// then discarded: another worker owns the task).
    func complete(_ id: String, owner: String, outcome: TaskOutcome, succeeded: Bool) async throws -> Bool

    /// Puts a task `owner` holds back in the queue (e.g. shutdown before it ran).
    func release(_ id: String, owner: String) async throws

    /// Cancels a queued task (a leased one finishes its current attempt first, then is discarded).
    /// Returns the record after the change, nil for an unknown id.
    func cancel(_ id: String) async throws -> TaskRecord?

    func record(id: String) async throws -> TaskRecord?

    func record(idempotencyKey: String) async throws -> TaskRecord?

    /// Re-queues tasks whose lease has expired; returns how many.
    func recoverExpiredLeases() async throws -> Int

    /// Forgets finished tasks that finished before `instant`; returns how many.
    func purge(finishedBefore instant: Date) async throws -> Int

    /// Queued tasks per class.
    func depth() async throws -> [Priority: Int]
}
