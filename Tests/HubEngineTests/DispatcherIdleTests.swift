import BrokerCore
import BrokerHubTesting
import Foundation
import HubEngine
import Synchronization
import Testing

/// The deterministic form of "an idle hub uses almost no CPU": on a clock that stands still, idle workers
/// never touch the queue; each poll of the clock lets exactly one worker look. (They once spun on the queue,
/// using 1.5 of the 2 cores with no traffic at all; the CPU figure itself is `brokerhub bench idle`.)
@Suite("Dispatcher at rest", .timeLimit(.minutes(1)))
struct DispatcherIdleTests {
    @Test func idleWorkersLookAtTheQueueOnlyWhenThePollComesRound() async throws {
        let clock = ManualClock.exact()
        let queue = LeaseCountingQueue(InMemoryTaskQueue(clock: clock))
        var configuration = Dispatcher.Configuration()
        configuration.workers = 4
        configuration.idlePoll = .milliseconds(250)
        configuration.maintenanceInterval = .seconds(5)
        let tokens = TokenManager(store: InMemoryTokenStore(), cipher: HubFixtures.cipher(), clients: [], clock: clock)
        let gateway = BrokerGateway(accounts: [], clients: [], tokens: tokens, limiter: LocalRateLimiter(clock: clock), clock: clock)
        let dispatcher = Dispatcher(queue: queue, gateway: gateway, configuration: configuration, clock: clock)

        let running = Task { try await dispatcher.run() }
        defer { running.cancel() }
        // Settled: each worker looked once and found nothing; the poll and maintenance loops sleep on the clock.
        try await eventually("the dispatcher settles") { queue.leases == 4 && clock.sleeperCount == 2 }
        try await Self.letEverythingRun()
        #expect(queue.leases == 4, "workers looked at the queue while the clock stood still")

        for poll in 1...20 {
            clock.advance(by: .milliseconds(250))
            try await eventually("poll \(poll) is taken") { queue.leases == 4 + poll && clock.sleeperCount == 2 }
        }
        try await Self.letEverythingRun()
        #expect(queue.leases == 24, "20 polls of the clock, \(queue.leases - 4) looks at the queue")
        running.cancel()
        _ = await running.result
    }

    /// Lets every runnable task run for a while (a spinning worker would lease thousands of times).
    private static func letEverythingRun() async throws {
        for _ in 0..<100 { await Task.yield() }
        try await Task.sleep(for: .milliseconds(200))
    }
}

/// Forwards to a real queue and counts `lease` calls.
private final class LeaseCountingQueue: TaskQueue {
    private let base: any TaskQueue
    private let count = Atomic(0)

    init(_ base: any TaskQueue) { self.base = base }

    var leases: Int { count.load(ordering: .relaxed) }

    func enqueue(_ task: HubTask) async throws -> (record: TaskRecord, created: Bool) { try await base.enqueue(task) }
    func lease(owner: String, for duration: Duration) async throws -> HubTask? {
        count.add(1, ordering: .relaxed)
        return try await base.lease(owner: owner, for: duration)
    }
    func renew(_ id: String, owner: String, for duration: Duration) async throws -> Bool { try await base.renew(id, owner: owner, for: duration) }
    func complete(_ id: String, owner: String, outcome: TaskOutcome, succeeded: Bool) async throws -> Bool {
        try await base.complete(id, owner: owner, outcome: outcome, succeeded: succeeded)
    }
    func release(_ id: String, owner: String) async throws { try await base.release(id, owner: owner) }
    func cancel(_ id: String) async throws -> TaskRecord? { try await base.cancel(id) }
    func record(id: String) async throws -> TaskRecord? { try await base.record(id: id) }
    func record(idempotencyKey: String) async throws -> TaskRecord? { try await base.record(idempotencyKey: idempotencyKey) }
    func recoverExpiredLeases() async throws -> Int { try await base.recoverExpiredLeases() }
    func purge(finishedBefore instant: Date) async throws -> Int { try await base.purge(finishedBefore: instant) }
    func depth() async throws -> [Priority: Int] { try await base.depth() }
}
