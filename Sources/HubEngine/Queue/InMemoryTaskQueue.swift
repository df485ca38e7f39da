import BrokerCore
import Foundation
import Synchronization

/// A `TaskQueue` held in memory under one lock: the same semantics as `SQLiteTaskQueue` (same scheduling,
/// idempotency, leases and recovery) without durability. For tests and ephemeral use.
public final class InMemoryTaskQueue: TaskQueue {
    private struct Entry {
        var seq: Int
        var record: TaskRecord
        var finishedAt: Date?
    }

    private struct State {
        var nextSeq = 1
        var entries: [String: Entry] = [:]
        var idsByKey: [String: String] = [:]
        /// Queued tasks per class as (seq, id), ascending by seq: a released or recovered task keeps its
        /// original place, as in the SQLite queue.
        var queued: [Priority: [(seq: Int, id: String)]] = [:]
        var leased: Set<String> = []
        var scheduler: ShareScheduler

        mutating func insertQueued(_ id: String, seq: Int, priority: Priority) {
            var list = queued[priority, default: []]
            var low = 0
            var high = list.count
            while low < high {
                let mid = (low + high) / 2
                if list[mid].seq < seq { low = mid + 1 } else { high = mid }
            }
            list.insert((seq, id), at: low)
            queued[priority] = list
        }

        mutating func removeQueued(_ id: String, priority: Priority) {
            queued[priority]?.removeAll { $0.id == id }
        }
    }

    private let clock: any HubClock
    private let state: Mutex<State>

    /// An empty queue timed by `clock`, scheduling classes with `scheduler`.
    public init(clock: any HubClock = SystemClock(), scheduler: ShareScheduler = ShareScheduler()) {
        self.clock = clock
        state = Mutex(State(scheduler: scheduler))
    }

    public func enqueue(_ task: HubTask) async throws -> (record: TaskRecord, created: Bool) {
        let now = clock.now
        return state.withLock { state in
            if let key = task.idempotencyKey, let id = state.idsByKey[key], let existing = state.entries[id] {
                return (existing.record, false)
            }
            if let existing = state.entries[task.id] { return (existing.record, false) }
            let seq = state.nextSeq
            state.nextSeq += 1
            let record = TaskRecord(task: task, state: .queued, leases: 0, updatedAt: now)
            state.entries[task.id] = Entry(seq: seq, record: record)
            if let key = task.idempotencyKey { state.idsByKey[key] = task.id }
            state.insertQueued(task.id, seq: seq, priority: task.priority)
            return (record, true)
        }
    }

    public func lease(owner: String, for duration: Duration) async throws -> HubTask? {
        let now = clock.now
        let expires = now.addingTimeInterval(duration.timeInterval)
        return state.withLock { state in
            let pending = Set(state.queued.filter { !$0.value.isEmpty }.keys)
            guard let chosen = state.scheduler.choose(pending: pending),
                  let head = state.queued[chosen]?.first,
                  var entry = state.entries[head.id]
            else { return nil }
            state.queued[chosen]?.removeFirst()
            entry.record.state = .leased
            entry.record.leaseOwner = owner
            entry.record.leaseExpiresAt = expires
            entry.record.leases += 1
            entry.record.updatedAt = now
            state.entries[head.id] = entry
            state.leased.insert(head.id)
            return entry.record.task
        }
    }

    public func renew(_ id: String, owner: String, for duration: Duration) async throws -> Bool {
        let now = clock.now
        return state.withLock { state in
            guard var entry = state.entries[id], entry.record.state == .leased, entry.record.leaseOwner == owner else {
                return false
            }
            entry.record.leaseExpiresAt = now.addingTimeInterval(duration.timeInterval)
            entry.record.updatedAt = now
            state.entries[id] = entry
            return true
        }
    }

    public func complete(_ id: String, owner: String, outcome: TaskOutcome, succeeded: Bool) async throws -> Bool {
        let now = clock.now
        return state.withLock { state in
            guard var entry = state.entries[id], entry.record.state == .leased, entry.record.leaseOwner == owner else {
                return false
            }
            entry.record.state = succeeded ? .succeeded : .failed
            entry.record.outcome = outcome
            entry.record.leaseOwner = nil
            entry.record.leaseExpiresAt = nil
            entry.record.updatedAt = now
            entry.finishedAt = now
            state.entries[id] = entry
            state.leased.remove(id)
            return true
        }
    }

    public func release(_ id: String, owner: String) async throws {
        let now = clock.now
        state.withLock { state in
            guard var entry = state.entries[id], entry.record.state == .leased, entry.record.leaseOwner == owner else {
                return
            }
            Self.requeue(&entry, now: now)
            state.entries[id] = entry
            state.leased.remove(id)
            state.insertQueued(id, seq: entry.seq, priority: entry.record.task.priority)
        }
    }

    public func cancel(_ id: String) async throws -> TaskRecord? {
        let now = clock.now
        return state.withLock { state in
            guard var entry = state.entries[id] else { return nil }
            switch entry.record.state {
            case .queued: state.removeQueued(id, priority: entry.record.task.priority)
            case .leased: state.leased.remove(id)
            case .succeeded, .failed, .cancelled: return entry.record
            }
            entry.record.state = .cancelled
            entry.record.leaseOwner = nil
            entry.record.leaseExpiresAt = nil
            entry.record.updatedAt = now
            entry.finishedAt = now
            state.entries[id] = entry
            return entry.record
        }
    }

    public func record(id: String) async throws -> TaskRecord? {
        state.withLock { $0.entries[id]?.record }
    }

    public func record(idempotencyKey: String) async throws -> TaskRecord? {
        state.withLock { state in state.idsByKey[idempotencyKey].flatMap { state.entries[$0]?.record } }
    }

    public func recoverExpiredLeases() async throws -> Int {
        let now = clock.now
        return state.withLock { state in
            let expired = state.leased.filter { id in
                guard let expires = state.entries[id]?.record.leaseExpiresAt else { return false }
                return expires < now
            }
            for id in expired {
                guard var entry = state.entries[id] else { continue }
                Self.requeue(&entry, now: now)
                state.entries[id] = entry
                state.leased.remove(id)
                state.insertQueued(id, seq: entry.seq, priority: entry.record.task.priority)
            }
            return expired.count
        }
    }

    public func purge(finishedBefore instant: Date) async throws -> Int {
        state.withLock { state in
            let doomed = state.entries.values.filter { entry in
                guard entry.record.state.isFinished, let finishedAt = entry.finishedAt else { return false }
                return finishedAt < instant
            }
            for entry in doomed {
                state.entries.removeValue(forKey: entry.record.task.id)
                if let key = entry.record.task.idempotencyKey, state.idsByKey[key] == entry.record.task.id {
                    state.idsByKey.removeValue(forKey: key)
                }
            }
            return doomed.count
        }
    }

    public func depth() async throws -> [Priority: Int] {
        state.withLock { state in
            Dictionary(uniqueKeysWithValues: Priority.allCases.map { ($0, state.queued[$0]?.count ?? 0) })
        }
    }

    private static func requeue(_ entry: inout Entry, now: Date) {
        entry.record.state = .queued
        entry.record.leaseOwner = nil
        entry.record.leaseExpiresAt = nil
        entry.record.updatedAt = now
    }
}
