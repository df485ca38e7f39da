import BrokerClients
import BrokerCore
import BrokerHubTesting
import Foundation
import HubEngine
import HubRedis
import Logging
import RedisClient
import Testing

/// The behaviour every `TaskQueue` must show, run against each implementation.
@Suite("TaskQueue behaviour", .timeLimit(.minutes(5)))
struct TaskQueueBehaviourTests {
    typealias Sample = TaskQueueSamples

    @Test("FIFO within a class", arguments: QueueKind.allCases)
    func fifoWithinClass(kind: QueueKind) async throws {
        let harness = try TaskQueueHarness(kind)
        let queue = harness.queue
        let labels = (0..<12).map { "fifo-\($0)" }
        for label in labels { _ = try await queue.enqueue(Sample.task(label)) }
        #expect(try await queue.drain() == labels.map { "task-\($0)" })
        #expect(try await queue.lease(owner: "w", for: .seconds(10)) == nil)
    }

    @Test("Strict priority across classes without minimum shares", arguments: QueueKind.allCases)
    func strictPriority(kind: QueueKind) async throws {
        let harness = try TaskQueueHarness(kind, scheduler: ShareScheduler(minimumShares: [:]))
        let queue = harness.queue
        let order: [(String, Priority)] = [
            ("b1", .backfill), ("s1", .snapshot), ("i1", .interactive), ("b2", .backfill),
            ("r1", .realtimeCritical), ("i2", .interactive), ("s2", .snapshot), ("r2", .realtimeCritical),
        ]
        for (label, priority) in order { _ = try await queue.enqueue(Sample.task(label, priority: priority)) }
        #expect(try await queue.drain() == ["r1", "r2", "i1", "i2", "s1", "s2", "b1", "b2"].map { "task-\($0)" })
    }

    @Test("A minimum share serves backfill while interactive work waits", arguments: QueueKind.allCases)
    func minimumShare(kind: QueueKind) async throws {
        let harness = try TaskQueueHarness(kind, scheduler: ShareScheduler(minimumShares: [.backfill: 0.05]))
        let queue = harness.queue
        for n in 0..<20 { _ = try await queue.enqueue(Sample.task("b\(n)", priority: .backfill)) }
        for n in 0..<100 { _ = try await queue.enqueue(Sample.task("i\(n)", priority: .interactive)) }
        let served = try await queue.drain(limit: 40)
        #expect(served.count == 40)
        let backfill = served.filter { $0.hasPrefix("task-b") }
        #expect(backfill.count >= 2)
        #expect(backfill.count < 10, "backfill takes its share, not the lion's share")
        // FIFO still holds inside each class.
        #expect(backfill == (0..<backfill.count).map { "task-b\($0)" })
        let interactive = served.filter { $0.hasPrefix("task-i") }
        #expect(interactive == (0..<interactive.count).map { "task-i\($0)" })
    }

    @Test("Without a share, backfill waits until interactive is empty", arguments: QueueKind.allCases)
    func noShareStarvesBackfill(kind: QueueKind) async throws {
        let harness = try TaskQueueHarness(kind, scheduler: ShareScheduler(minimumShares: [:]))
        let queue = harness.queue
        for n in 0..<20 { _ = try await queue.enqueue(Sample.task("b\(n)", priority: .backfill)) }
        for n in 0..<100 { _ = try await queue.enqueue(Sample.task("i\(n)", priority: .interactive)) }
        let served = try await queue.drain()
        #expect(served.count == 120)
        #expect(served.prefix(100).allSatisfy { $0.hasPrefix("task-i") })
        #expect(Array(served.suffix(20)) == (0..<20).map { "task-b\($0)" })
    }

    @Test("Resubmitting an idempotency key returns the existing task, also after completion", arguments: QueueKind.allCases)
    func idempotentResubmission(kind: QueueKind) async throws {
        let harness = try TaskQueueHarness(kind)
        let queue = harness.queue
        let first = try await queue.enqueue(Sample.task("first", key: "quote-005930"))
        #expect(first.created)
        #expect(first.record.state == .queued)
        #expect(first.record.task.id == "task-first")

        let again = try await queue.enqueue(Sample.task("second", key: "quote-005930"))
        #expect(!again.created)
        #expect(again.record.task.id == "task-first")
        #expect(try await queue.depth()[.interactive] == 1)
        #expect(try await queue.record(id: "task-second") == nil)
        #expect(try await queue.record(idempotencyKey: "quote-005930")?.task.id == "task-first")

        let leased = try #require(try await queue.lease(owner: "w", for: .seconds(30)))
        let outcome = Sample.outcome(at: harness.clock.now)
        #expect(try await queue.complete(leased.id, owner: "w", outcome: outcome, succeeded: true))

        let late = try await queue.enqueue(Sample.task("third", key: "quote-005930"))
        #expect(!late.created)
        #expect(late.record.task.id == "task-first")
        #expect(late.record.state == .succeeded)
        #expect(late.record.outcome == outcome)
        #expect(try await queue.lease(owner: "w", for: .seconds(30)) == nil)

        // A different key is a different task.
        #expect(try await queue.enqueue(Sample.task("other", key: "quote-000660")).created)
    }

    @Test("Lease, complete, and a lost lease", arguments: QueueKind.allCases)
    func leaseAndComplete(kind: QueueKind) async throws {
        let harness = try TaskQueueHarness(kind)
        let queue = harness.queue
        let clock = harness.clock
        let enqueued = try await queue.enqueue(Sample.task("a"))
        _ = try await queue.enqueue(Sample.task("b"))

        let task = try #require(try await queue.lease(owner: "alice", for: .seconds(30)))
        #expect(task == enqueued.record.task, "the stored task comes back intact")
        let leased = try #require(try await queue.record(id: task.id))
        #expect(leased.state == .leased)
        #expect(leased.leaseOwner == "alice")
        #expect(leased.leaseExpiresAt == clock.now.addingTimeInterval(30))
        #expect(leased.leases == 1)

        let outcome = Sample.outcome(at: clock.now)
        #expect(try await queue.complete(task.id, owner: "bob", outcome: outcome, succeeded: true) == false)
        let untouched = try #require(try await queue.record(id: task.id))
        #expect(untouched.state == .leased)
        #expect(untouched.leaseOwner == "alice")
        #expect(untouched.outcome == nil)

        clock.advance(by: .seconds(5))
        #expect(try await queue.complete(task.id, owner: "alice", outcome: outcome, succeeded: true))
        let done = try #require(try await queue.record(id: task.id))
        #expect(done.state == .succeeded)
        #expect(done.outcome == outcome)
        #expect(done.leaseOwner == nil)
        #expect(done.updatedAt == clock.now)
        #expect(try await queue.complete(task.id, owner: "alice", outcome: outcome, succeeded: false) == false)
        #expect(try await queue.record(id: task.id)?.state == .succeeded)

        // A failure keeps its error.
        let second = try #require(try await queue.lease(owner: "alice", for: .seconds(30)))
        let failure = Sample.outcome(
            at: clock.now,
            error: TaskError(code: "broker.error", message: "rate limited", category: "rateLimited", brokerCode: "EGW00201", httpStatus: 500)
        )
        #expect(try await queue.complete(second.id, owner: "alice", outcome: failure, succeeded: false))
        let failed = try #require(try await queue.record(id: second.id))
        #expect(failed.state == .failed)
        #expect(failed.outcome == failure)
        #expect(try await queue.complete("task-unknown", owner: "alice", outcome: outcome, succeeded: true) == false)
    }

    @Test("Renewing keeps a lease alive; only its owner can renew", arguments: QueueKind.allCases)
    func renew(kind: QueueKind) async throws {
        let harness = try TaskQueueHarness(kind)
        let queue = harness.queue
        let clock = harness.clock
        _ = try await queue.enqueue(Sample.task("a"))
        let task = try #require(try await queue.lease(owner: "alice", for: .seconds(30)))

        clock.advance(by: .seconds(20))
        #expect(try await queue.renew(task.id, owner: "alice", for: .seconds(30)))
        #expect(try await queue.record(id: task.id)?.leaseExpiresAt == clock.now.addingTimeInterval(30))
        #expect(try await queue.renew(task.id, owner: "bob", for: .seconds(300)) == false)

        clock.advance(by: .seconds(20)) // 40 s after the lease, 20 s after the renewal
        #expect(try await queue.recoverExpiredLeases() == 0)
        #expect(try await queue.record(id: task.id)?.state == .leased)

        clock.advance(by: .seconds(11)) // past the renewed lease
        #expect(try await queue.recoverExpiredLeases() == 1)
        #expect(try await queue.renew(task.id, owner: "alice", for: .seconds(30)) == false)
        #expect(try await queue.renew("task-unknown", owner: "alice", for: .seconds(30)) == false)
    }

    @Test("Releasing puts a task back at its place", arguments: QueueKind.allCases)
    func release(kind: QueueKind) async throws {
        let harness = try TaskQueueHarness(kind)
        let queue = harness.queue
        _ = try await queue.enqueue(Sample.task("a"))
        _ = try await queue.enqueue(Sample.task("b"))
        let task = try #require(try await queue.lease(owner: "alice", for: .seconds(30)))
        #expect(task.id == "task-a")

        try await queue.release(task.id, owner: "bob") // not bob's: nothing happens
        #expect(try await queue.record(id: task.id)?.state == .leased)
        #expect(try await queue.depth()[.interactive] == 1)

        try await queue.release(task.id, owner: "alice")
        let released = try #require(try await queue.record(id: task.id))
        #expect(released.state == .queued)
        #expect(released.leaseOwner == nil)
        #expect(released.leaseExpiresAt == nil)
        #expect(try await queue.depth()[.interactive] == 2)

        let again = try #require(try await queue.lease(owner: "bob", for: .seconds(30)))
        #expect(again.id == "task-a", "a released task keeps its place ahead of later ones")
        #expect(try await queue.record(id: again.id)?.leases == 2)
        #expect(try await queue.complete(again.id, owner: "alice", outcome: Sample.outcome(at: harness.clock.now), succeeded: true) == false)
    }

    @Test("Cancelling a queued task", arguments: QueueKind.allCases)
    func cancelQueued(kind: QueueKind) async throws {
        let harness = try TaskQueueHarness(kind)
        let queue = harness.queue
        _ = try await queue.enqueue(Sample.task("a"))
        let cancelled = try #require(try await queue.cancel("task-a"))
        #expect(cancelled.state == .cancelled)
        #expect(cancelled.outcome == nil)
        #expect(cancelled.leaseOwner == nil)
        #expect(try await queue.record(id: "task-a")?.state == .cancelled)
        #expect(try await queue.depth()[.interactive] == 0)
        #expect(try await queue.lease(owner: "w", for: .seconds(30)) == nil)
        #expect(try await queue.cancel("task-a")?.state == .cancelled)
        #expect(try await queue.cancel("task-unknown") == nil)
    }

    @Test("Cancelling a leased task discards its result", arguments: QueueKind.allCases)
    func cancelLeased(kind: QueueKind) async throws {
        let harness = try TaskQueueHarness(kind)
        let queue = harness.queue
        let clock = harness.clock
        _ = try await queue.enqueue(Sample.task("a"))
        let task = try #require(try await queue.lease(owner: "alice", for: .seconds(30)))
        #expect(try await queue.cancel(task.id)?.state == .cancelled)

        #expect(try await queue.renew(task.id, owner: "alice", for: .seconds(30)) == false)
        #expect(try await queue.complete(task.id, owner: "alice", outcome: Sample.outcome(at: clock.now), succeeded: true) == false)
        let record = try #require(try await queue.record(id: task.id))
        #expect(record.state == .cancelled)
        #expect(record.outcome == nil)

        try await queue.release(task.id, owner: "alice")
        clock.advance(by: .seconds(60))
        #expect(try await queue.recoverExpiredLeases() == 0)
        #expect(try await queue.record(id: task.id)?.state == .cancelled)
        #expect(try await queue.lease(owner: "bob", for: .seconds(30)) == nil)
    }

    @Test("Cancelling a finished task changes nothing", arguments: QueueKind.allCases)
    func cancelFinished(kind: QueueKind) async throws {
        let harness = try TaskQueueHarness(kind)
        let queue = harness.queue
        _ = try await queue.enqueue(Sample.task("a"))
        let task = try #require(try await queue.lease(owner: "alice", for: .seconds(30)))
        let outcome = Sample.outcome(at: harness.clock.now)
        #expect(try await queue.complete(task.id, owner: "alice", outcome: outcome, succeeded: true))
        let before = try #require(try await queue.record(id: task.id))
        harness.clock.advance(by: .seconds(1))
        let after = try #require(try await queue.cancel(task.id))
        #expect(after == before)
    }

    @Test("An expired lease is recovered and leased again", arguments: QueueKind.allCases)
    func expiredLeaseRecovery(kind: QueueKind) async throws {
        let harness = try TaskQueueHarness(kind)
        let queue = harness.queue
        let clock = harness.clock
        _ = try await queue.enqueue(Sample.task("a"))
        let task = try #require(try await queue.lease(owner: "crashed", for: .seconds(30)))

        clock.advance(by: .seconds(10))
        #expect(try await queue.recoverExpiredLeases() == 0)
        #expect(try await queue.lease(owner: "other", for: .seconds(30)) == nil)

        clock.advance(by: .seconds(21))
        #expect(try await queue.recoverExpiredLeases() == 1)
        let recovered = try #require(try await queue.record(id: task.id))
        #expect(recovered.state == .queued)
        #expect(recovered.leaseOwner == nil)
        #expect(try await queue.recoverExpiredLeases() == 0)

        let again = try #require(try await queue.lease(owner: "other", for: .seconds(30)))
        #expect(again.id == task.id)
        let record = try #require(try await queue.record(id: task.id))
        #expect(record.leases == 2)
        #expect(record.leaseOwner == "other")
        #expect(try await queue.complete(task.id, owner: "crashed", outcome: Sample.outcome(at: clock.now), succeeded: true) == false)
        #expect(try await queue.complete(task.id, owner: "other", outcome: Sample.outcome(at: clock.now), succeeded: true))
    }

    @Test("Purging forgets finished tasks older than the instant", arguments: QueueKind.allCases)
    func purge(kind: QueueKind) async throws {
        let harness = try TaskQueueHarness(kind)
        let queue = harness.queue
        let clock = harness.clock
        let start = clock.now
        for label in ["done", "cancelled", "waiting", "recent", "leased"] {
            _ = try await queue.enqueue(Sample.task(label, key: "key-\(label)"))
        }
        let done = try #require(try await queue.lease(owner: "w", for: .seconds(7200)))
        #expect(done.id == "task-done")
        #expect(try await queue.complete(done.id, owner: "w", outcome: Sample.outcome(at: clock.now), succeeded: true))
        _ = try await queue.cancel("task-cancelled")
        clock.advance(by: .seconds(3600))
        let recent = try #require(try await queue.lease(owner: "w", for: .seconds(7200)))
        #expect(recent.id == "task-waiting")
        _ = try await queue.cancel("task-recent")
        #expect(try await queue.lease(owner: "w", for: .seconds(7200))?.id == "task-leased")
        #expect(try await queue.complete(recent.id, owner: "w", outcome: Sample.outcome(at: clock.now), succeeded: false))

        #expect(try await queue.purge(finishedBefore: start.addingTimeInterval(1800)) == 2)
        #expect(try await queue.record(id: "task-done") == nil)
        #expect(try await queue.record(id: "task-cancelled") == nil)
        #expect(try await queue.record(idempotencyKey: "key-done") == nil)
        #expect(try await queue.record(id: "task-waiting")?.state == .failed)
        #expect(try await queue.record(id: "task-recent")?.state == .cancelled)
        #expect(try await queue.record(id: "task-leased")?.state == .leased)
        #expect(try await queue.purge(finishedBefore: start.addingTimeInterval(1800)) == 0)

        // A purged key may be used again.
        #expect(try await queue.enqueue(Sample.task("done-again", key: "key-done")).created)
        // Leased and queued tasks are never purged.
        #expect(try await queue.purge(finishedBefore: clock.now.addingTimeInterval(86_400)) == 2)
        #expect(try await queue.record(id: "task-leased")?.state == .leased)
        #expect(try await queue.record(id: "task-done-again")?.state == .queued)
    }

    @Test("Depth counts queued tasks per class, zeros included", arguments: QueueKind.allCases)
    func depth(kind: QueueKind) async throws {
        let harness = try TaskQueueHarness(kind)
        let queue = harness.queue
        #expect(try await queue.depth() == [.realtimeCritical: 0, .interactive: 0, .snapshot: 0, .backfill: 0])
        for n in 0..<3 { _ = try await queue.enqueue(Sample.task("i\(n)", priority: .interactive)) }
        for n in 0..<2 { _ = try await queue.enqueue(Sample.task("b\(n)", priority: .backfill)) }
        #expect(try await queue.depth() == [.realtimeCritical: 0, .interactive: 3, .snapshot: 0, .backfill: 2])
        _ = try await queue.lease(owner: "w", for: .seconds(30))
        _ = try await queue.cancel("task-b1")
        #expect(try await queue.depth() == [.realtimeCritical: 0, .interactive: 2, .snapshot: 0, .backfill: 1])
    }

    @Test("Concurrent workers each get every task exactly once", arguments: QueueKind.allCases)
    func concurrentLeasing(kind: QueueKind) async throws {
        let harness = try TaskQueueHarness(kind)
        let queue = harness.queue
        let priorities = Priority.allCases
        let all = (0..<200).map { "task-c\($0)" }
        for n in 0..<200 { _ = try await queue.enqueue(Sample.task("c\(n)", priority: priorities[n % priorities.count])) }

        let leased = try await withThrowingTaskGroup(of: [(owner: String, id: String)].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    let owner = "worker-\(worker)"
                    var mine: [(owner: String, id: String)] = []
                    while let task = try await queue.lease(owner: owner, for: .seconds(60)) {
                        mine.append((owner, task.id))
                        await Task.yield()
                    }
                    return mine
                }
            }
            var all: [(owner: String, id: String)] = []
            for try await batch in group { all += batch }
            return all
        }
        #expect(leased.count == 200)
        #expect(Set(leased.map(\.id)) == Set(all))
        for (owner, id) in leased {
            let record = try #require(try await queue.record(id: id))
            #expect(record.leaseOwner == owner)
            #expect(record.leases == 1)
        }
        #expect(try await queue.depth().values.reduce(0, +) == 0)
    }
}

/// What only the durable queue promises: it survives its process.
@Suite("TaskQueue durability (SQLite)", .timeLimit(.minutes(5)))
struct TaskQueueDurabilityTests {
    typealias Sample = TaskQueueSamples

    @Test("Queued tasks survive a reopen, in order")
    func survivesReopen() async throws {
        let directory = TaskQueueHarness.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("hub.sqlite").path
        let clock = ManualClock()
        let order: [(String, Priority)] = [("i0", .interactive), ("b0", .backfill), ("i1", .interactive), ("r0", .realtimeCritical), ("i2", .interactive)]
        var stored: [String: HubTask] = [:]

        do {
            let queue = SQLiteTaskQueue(database: try HubDatabase(path: path), clock: clock, scheduler: ShareScheduler(minimumShares: [:]))
            for (label, priority) in order {
                let task = Sample.task(label, priority: priority, key: "key-\(label)")
                stored[task.id] = try await queue.enqueue(task).record.task
            }
        }

        let queue = SQLiteTaskQueue(database: try HubDatabase(path: path), clock: clock, scheduler: ShareScheduler(minimumShares: [:]))
        #expect(try await queue.depth() == [.realtimeCritical: 1, .interactive: 3, .snapshot: 0, .backfill: 1])
        #expect(try await queue.record(id: "task-i1")?.state == .queued)
        #expect(try await queue.enqueue(Sample.task("dup", key: "key-i1")).created == false)
        var leased: [HubTask] = []
        while let task = try await queue.lease(owner: "w", for: .seconds(30)) { leased.append(task) }
        #expect(leased.map(\.id) == ["r0", "i0", "i1", "i2", "b0"].map { "task-\($0)" })
        for task in leased { #expect(task == stored[task.id]) }
    }

    @Test("A crashed owner's lease comes back after it expires")
    func crashedOwnerRecovered() async throws {
        let directory = TaskQueueHarness.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("hub.sqlite").path
        let clock = ManualClock()

        let held: String
        do {
            let queue = SQLiteTaskQueue(database: try HubDatabase(path: path), clock: clock)
            _ = try await queue.enqueue(Sample.task("a"))
            _ = try await queue.enqueue(Sample.task("b"))
            held = try #require(try await queue.lease(owner: "crashed", for: .seconds(30))).id
        }

        let queue = SQLiteTaskQueue(database: try HubDatabase(path: path), clock: clock)
        let record = try #require(try await queue.record(id: held))
        #expect(record.state == .leased)
        #expect(record.leaseOwner == "crashed")
        #expect(try await queue.recoverExpiredLeases() == 0)
        #expect(try await queue.lease(owner: "survivor", for: .seconds(300))?.id == "task-b")

        clock.advance(by: .seconds(31))
        #expect(try await queue.recoverExpiredLeases() == 1)
        let again = try #require(try await queue.lease(owner: "survivor", for: .seconds(30)))
        #expect(again.id == held)
        #expect(try await queue.record(id: held)?.leases == 2)
        #expect(try await queue.complete(held, owner: "crashed", outcome: Sample.outcome(at: clock.now), succeeded: true) == false)
    }
}

/// What only the Redis queue promises: several hub processes (one `RedisTaskQueue` and client each) share
/// it, and its streams are trimmed without losing work. Needs the real redis-server
/// (`BROKERHUB_TEST_REDIS_URL`); skipped without it, and then the suite above runs no `.redis` kind either.
@Suite("TaskQueue (Redis)", .timeLimit(.minutes(5)), .serialized, .enabled(if: RedisTestEnvironment.url != nil, "BROKERHUB_TEST_REDIS_URL is not set"))
struct RedisTaskQueueTests {
    typealias Sample = TaskQueueSamples

    @Test("Trimming drops only acknowledged entries, never queued, leased or released work")
    func trimKeepsUnacknowledged() async throws {
        let fixture = try RedisQueueFixture("trim")
        defer { fixture.tearDown() }
        let clock = ManualClock()
        let queue = try fixture.queue(clock: clock)
        let stream = fixture.keyspace.tag("queue") + ":" + Priority.interactive.name
        func length() async throws -> Int64? { try await fixture.client.send([.string("XLEN"), .string(stream)]).int }
        for n in 0..<8 { _ = try await queue.enqueue(Sample.task("t\(n)")) }
        let t0 = try #require(try await queue.lease(owner: "a", for: .seconds(60)))
        let t1 = try #require(try await queue.lease(owner: "b", for: .seconds(60)))
        let t2 = try #require(try await queue.lease(owner: "c", for: .seconds(60)))
        #expect([t0.id, t1.id, t2.id] == ["task-t0", "task-t1", "task-t2"])

        // The oldest entry is still leased: nothing may go, although later ones are acknowledged.
        #expect(try await queue.complete(t1.id, owner: "b", outcome: Sample.outcome(at: clock.now), succeeded: true))
        #expect(try await queue.complete(t2.id, owner: "c", outcome: Sample.outcome(at: clock.now), succeeded: true))
        #expect(try await queue.trim() == 0)
        #expect(try await length() == 8)

        // Released (parked) work is pending too: t0 stays, and so does everything after it.
        try await queue.release(t0.id, owner: "a")
        #expect(try await queue.trim() == 0)
        let again = try #require(try await queue.lease(owner: "a", for: .seconds(60)))
        #expect(again.id == "task-t0")
        #expect(try await queue.complete(again.id, owner: "a", outcome: Sample.outcome(at: clock.now), succeeded: true))
        // Now t0–t2 are acknowledged; t3–t7 were never delivered and stay.
        #expect(try await queue.trim() == 2, "keeps the last delivered entry, drops t0 and t1")
        #expect(try await length() == 6)
        #expect(try await queue.drain() == (3..<8).map { "task-t\($0)" })
        #expect(try await queue.depth().values.reduce(0, +) == 0)
        await fixture.remove()
    }

    @Test("Two hub processes with concurrent workers run every task exactly once")
    func twoProcessesExactlyOnce() async throws {
        let fixture = try RedisQueueFixture("two")
        defer { fixture.tearDown() }
        let clock = ManualClock()
        let queues = [try fixture.queue(clock: clock), try fixture.queue(clock: clock)]
        let all = (0..<120).map { "task-p\($0)" }
        for n in 0..<120 {
            _ = try await queues[n % 2].enqueue(Sample.task("p\(n)", priority: Priority.allCases[n % 4]))
        }
        let done = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<8 {
                let queue = queues[worker % 2]
                group.addTask {
                    let owner = "hub\(worker % 2)-w\(worker)"
                    var mine: [String] = []
                    while let task = try await queue.lease(owner: owner, for: .seconds(60)) {
                        let kept = try await queue.complete(task.id, owner: owner, outcome: Sample.outcome(at: clock.now), succeeded: true)
                        #expect(kept)
                        mine.append(task.id)
                    }
                    return mine
                }
            }
            var done: [String] = []
            for try await batch in group { done += batch }
            return done
        }
        #expect(done.count == all.count)
        #expect(Set(done) == Set(all))
        for id in all { #expect(try await queues[1].record(id: id)?.state == .succeeded) }
        #expect(try await queues[0].depth().values.reduce(0, +) == 0)
        await fixture.remove()
    }

    @Test("A process that dies holding a lease: another recovers the task and completes it")
    func deadProcessRecovered() async throws {
        let fixture = try RedisQueueFixture("dead")
        defer { fixture.tearDown() }
        let clock = ManualClock()
        let dyingClient = try RedisTestEnvironment.client()
        let dying = RedisTaskQueue(client: dyingClient, keyspace: fixture.keyspace, clock: clock)
        let survivor = try fixture.queue(clock: clock)
        _ = try await survivor.enqueue(Sample.task("a"))
        _ = try await survivor.enqueue(Sample.task("b"))
        let held = try #require(try await dying.lease(owner: "dying-w0", for: .seconds(30)))
        #expect(held.id == "task-a")
        await dyingClient.shutdown() // the process is gone; its lease stays in Redis

        #expect(try await survivor.recoverExpiredLeases() == 0)
        #expect(try await survivor.lease(owner: "survivor-w0", for: .seconds(300))?.id == "task-b")
        clock.advance(by: .seconds(31))
        #expect(try await survivor.recoverExpiredLeases() == 1)
        let again = try #require(try await survivor.lease(owner: "survivor-w1", for: .seconds(30)))
        #expect(again == held)
        #expect(try await survivor.complete(held.id, owner: "survivor-w1", outcome: Sample.outcome(at: clock.now), succeeded: true))
        let record = try #require(try await survivor.record(id: held.id))
        #expect(record.state == .succeeded)
        #expect(record.leases == 2)
        await fixture.remove()
    }

    @Test("An idempotency key names one task across processes, also when they race")
    func idempotencyAcrossProcesses() async throws {
        let fixture = try RedisQueueFixture("idem")
        defer { fixture.tearDown() }
        let clock = ManualClock()
        let queues = [try fixture.queue(clock: clock), try fixture.queue(clock: clock)]
        #expect(try await queues[0].enqueue(Sample.task("first", key: "quote-005930")).created)
        let again = try await queues[1].enqueue(Sample.task("second", key: "quote-005930"))
        #expect(!again.created)
        #expect(again.record.task.id == "task-first")

        let created = try await withThrowingTaskGroup(of: Bool.self) { group in
            for n in 0..<16 {
                group.addTask { try await queues[n % 2].enqueue(Sample.task("race\(n)", key: "quote-000660")).created }
            }
            var created = 0
            for try await flag in group where flag { created += 1 }
            return created
        }
        #expect(created == 1)
        let winner = try #require(try await queues[0].record(idempotencyKey: "quote-000660"))
        #expect(try await queues[1].record(idempotencyKey: "quote-000660") == winner)
        #expect(try await queues[1].depth()[.interactive] == 2)
        await fixture.remove()
    }

    @Test("Scheduling matches ShareScheduler decision for decision, with credits shared by processes")
    func schedulingMatchesEmbedded() async throws {
        let fixture = try RedisQueueFixture("shares")
        defer { fixture.tearDown() }
        let clock = ManualClock()
        let queues = [try fixture.queue(clock: clock), try fixture.queue(clock: clock)]
        let embedded = InMemoryTaskQueue(clock: clock)
        for n in 0..<120 {
            let task = Sample.task("s\(n)", priority: Priority.allCases[(n * 7) % 4])
            _ = try await embedded.enqueue(task)
            _ = try await queues[n % 2].enqueue(task)
        }
        var served: [String] = []
        // Alternate processes: the share credits must be the fleet's, not each process's.
        while let task = try await queues[served.count % 2].lease(owner: "w", for: .seconds(60)) { served.append(task.id) }
        let expected = try await embedded.drain()
        #expect(served.count == 120)
        #expect(served == expected)
        await fixture.remove()
    }

    @Test("The stalled-entry sweep leaves live leases with their owner and settles orphaned entries")
    func stalledEntrySweep() async throws {
        let fixture = try RedisQueueFixture("sweep")
        defer { fixture.tearDown() }
        let clock = ManualClock()
        let queue = try fixture.queue(clock: clock, stalledEntryIdle: .zero) // every pending entry is "stalled"
        for label in ["live", "orphan", "lost"] { _ = try await queue.enqueue(Sample.task(label)) }
        let live = try #require(try await queue.lease(owner: "alive", for: .seconds(60)))
        let orphan = try #require(try await queue.lease(owner: "w", for: .seconds(60)))
        let lost = try #require(try await queue.lease(owner: "w", for: .seconds(10)))
        // Damage as a half-applied change would: the orphan's record vanishes, the lost lease drops out
        // of the deadline index.
        _ = try await fixture.client.send([.string("DEL"), .string(fixture.keyspace.tag("queue") + ":task:" + orphan.id)])
        _ = try await fixture.client.send([.string("ZREM"), .string(fixture.keyspace.tag("queue") + ":leases"), .string(lost.id)])

        #expect(try await queue.recoverExpiredLeases() == 0)
        #expect(try await queue.record(id: live.id)?.leaseOwner == "alive")
        clock.advance(by: .seconds(11))
        #expect(try await queue.recoverExpiredLeases() == 1)
        #expect(try await queue.record(id: lost.id)?.state == .queued)
        #expect(try await queue.record(id: live.id)?.state == .leased)
        let stream = fixture.keyspace.tag("queue") + ":" + Priority.interactive.name
        let pending = try await fixture.client.send([.string("XPENDING"), .string(stream), .string("hub"), .string("-"), .string("+"), .string("10")])
        let owners = (pending.array ?? []).compactMap { $0.array?[1].string }
        #expect(owners.sorted() == ["alive", "~queued"], "the live lease kept its owner, the orphan was acknowledged")
        #expect(try await queue.lease(owner: "w2", for: .seconds(60))?.id == lost.id)
        #expect(try await queue.renew(live.id, owner: "alive", for: .seconds(60)))
        await fixture.remove()
    }
}

/// A queue whose Redis cannot be reached fails promptly with `.unavailable` (no server needed).
@Suite("TaskQueue (Redis unreachable)", .timeLimit(.minutes(5)))
struct RedisTaskQueueUnreachableTests {
    @Test("Every operation throws BrokerHubError(.unavailable)")
    func unreachable() async throws {
        let client = RedisClient(configuration: try RedisConfiguration(url: "redis://127.0.0.1:1/0"), logger: Logger(label: "test"))
        let queue = RedisTaskQueue(client: client, keyspace: RedisKeyspace(prefix: "bhtest:unreachable"), clock: ManualClock())
        await #expect {
            _ = try await queue.enqueue(TaskQueueSamples.task("a"))
        } throws: { error in
            (error as? BrokerHubError)?.code == .unavailable
        }
        await #expect {
            _ = try await queue.lease(owner: "w", for: .seconds(30))
        } throws: { error in
            (error as? BrokerHubError)?.code == .unavailable
        }
        await client.shutdown()
    }
}
