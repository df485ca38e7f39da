import BrokerCore
import Foundation
import HubEngine
import RedisClient
import RedisWire

/// The distributed `TaskQueue`: many hub processes share one durable priority queue in Redis.
///
/// One stream per priority class (`{prefix:queue}:{class}`) with one consumer group; every worker (lease
/// owner) is a consumer. Task records live in a hash per task (`{prefix:queue}:task:{id}`: state, owner, lease
/// deadline, attempts, outcome), idempotency keys map to task ids (`SET NX` semantics, kept as long as the
/// record). Every state change is one Lua script, so it is atomic across processes; the `ShareScheduler`
/// credits live in Redis too, so minimum shares hold for the whole fleet, not per process.
///
/// Time: lease deadlines and finish times come from the injected `clock` and are compared against the
/// clock's `now` passed to the scripts, so hubs sharing a queue need NTP-synchronised clocks (a skew of s
/// seconds makes leases expire up to s seconds early or late). Redis server time is used only by the
/// stalled-entry sweep (`XAUTOCLAIM` idle time), which judges what it finds by the stored deadline.
///
/// Durability: `enqueue` returns after Redis applied it; with AOF `appendfsync everysec` a Redis crash can
/// lose up to a second of acknowledged work (`always` trades throughput for none). A process that dies
/// holding leases loses nothing: `recoverExpiredLeases` (any process) puts its tasks back.
///
/// Maintenance a hub must run periodically (the `Dispatcher` already does both): `recoverExpiredLeases()`
/// (also runs the stalled-entry sweep) and `purge(finishedBefore:)` (also trims the streams, `trim()`).
/// Redis unreachable: every call throws `BrokerHubError(.unavailable, …)`.
public final class RedisTaskQueue: TaskQueue {
    let client: RedisClient
    let keyspace: RedisKeyspace
    let clock: any HubClock
    /// The minimum shares the scripts apply (`ShareScheduler.minimumShares`); its credits live in Redis.
    let minimumShares: [Priority: Double]
    let resultTTL: Duration?
    let stalledEntryIdle: Duration
    let queuePrefix: String
    let taskPrefix: String

    /// A queue in `client`'s Redis under `keyspace`.
    /// - Parameters:
    ///   - clock: times leases and finishes (see the type's note on synchronised clocks).
    ///   - scheduler: its `minimumShares` choose the class; every hub sharing the queue should use the same.
    ///   - resultTTL: finished tasks (and their idempotency keys) expire this long after finishing even if
    ///     nobody purges them; nil keeps them until `purge`. Keep it ≥ the dispatcher's result retention.
    ///   - stalledEntryIdle: the stalled-entry sweep looks at stream entries idle (Redis server time) at
    ///     least this long; a renewed lease resets its entry's idle time.
    public init(
        client: RedisClient, keyspace: RedisKeyspace = RedisKeyspace(), clock: any HubClock = SystemClock(),
        scheduler: ShareScheduler = ShareScheduler(), resultTTL: Duration? = .seconds(3600),
        stalledEntryIdle: Duration = .seconds(300)
    ) {
        self.client = client
        self.keyspace = keyspace
        self.clock = clock
        minimumShares = scheduler.minimumShares
        self.resultTTL = resultTTL
        self.stalledEntryIdle = stalledEntryIdle
        // One hash tag for every key of the queue: its scripts touch streams, records and indexes together.
        queuePrefix = keyspace.tag("queue") + ":"
        taskPrefix = queuePrefix + "task:"
    }

    /// The key under which `idempotencyKey` maps to its task id.
    func idempotencyKey(_ idempotencyKey: String) -> String { queuePrefix + "task-key:" + idempotencyKey }

    public func enqueue(_ task: HubTask) async throws -> (record: TaskRecord, created: Bool) {
        let payload = try RedisTaskCoding.encode(task)
        let idem = task.idempotencyKey.map(idempotencyKey) ?? ""
        let reply = try await run(
            RedisQueueScripts.enqueue, "enqueue",
            [.string(task.id), .bytes(payload), .string(task.priority.name), time(clock.now), .string(idem)]
        )
        guard let parts = reply.array, parts.count == 2, let created = parts[0].int,
              let record = try RedisTaskCoding.record(from: parts[1])
        else { throw malformed("enqueue", reply) }
        return (record, created == 1)
    }

    public func lease(owner: String, for duration: Duration) async throws -> HubTask? {
        let classes = Priority.allCases.sorted()
        for _ in 0..<4 {
            let now = clock.now
            var arguments: [RESPArgument] = [.string(owner), time(now), time(now.addingTimeInterval(duration.timeInterval))]
            arguments += classes.map { .string($0.name) }
            arguments += classes.map { .string(String(minimumShares[$0] ?? 0)) }
            let reply = try await run(RedisQueueScripts.lease, "lease", arguments)
            if reply.isNull { return nil }
            if reply.string == "retry" { continue }
            guard let payload = reply.bytes else { throw malformed("lease", reply) }
            return try RedisTaskCoding.decodeTask(payload, id: "(leased by \(owner))")
        }
        return nil
    }

    public func renew(_ id: String, owner: String, for duration: Duration) async throws -> Bool {
        let now = clock.now
        let reply = try await run(
            RedisQueueScripts.renew, "renew",
            [.string(id), .string(owner), time(now), time(now.addingTimeInterval(duration.timeInterval))]
        )
        return reply.int == 1
    }

    public func complete(_ id: String, owner: String, outcome: TaskOutcome, succeeded: Bool) async throws -> Bool {
        let data = try RedisTaskCoding.encode(outcome)
        let state = succeeded ? TaskState.succeeded : TaskState.failed
        let reply = try await run(
            RedisQueueScripts.complete, "complete",
            [.string(id), .string(owner), time(clock.now), .string(state.rawValue), .bytes(data), ttlArgument]
        )
        return reply.int == 1
    }

    public func release(_ id: String, owner: String) async throws {
        _ = try await run(RedisQueueScripts.release, "release", [.string(id), .string(owner), time(clock.now)])
    }

    public func cancel(_ id: String) async throws -> TaskRecord? {
        let reply = try await run(RedisQueueScripts.cancel, "cancel", [.string(id), time(clock.now), ttlArgument])
        return try RedisTaskCoding.record(from: reply)
    }

    public func record(id: String) async throws -> TaskRecord? {
        let reply = try await call("record") { try await self.client.send([.string("HGETALL"), .string(self.taskPrefix + id)]) }
        return try RedisTaskCoding.record(from: reply)
    }

    public func record(idempotencyKey: String) async throws -> TaskRecord? {
        let reply = try await run(RedisQueueScripts.recordByKey, "record", [.string(self.idempotencyKey(idempotencyKey))])
        return try RedisTaskCoding.record(from: reply)
    }

    public func depth() async throws -> [Priority: Int] {
        let classes = Priority.allCases
        let reply = try await call("depth") {
            let arguments: [RESPArgument] = [.string("HMGET"), .string(self.queuePrefix + "depth")] + classes.map { .string($0.name) }
            return try await self.client.send(arguments)
        }
        guard let counts = reply.array, counts.count == classes.count else { throw malformed("depth", reply) }
        return Dictionary(uniqueKeysWithValues: zip(classes, counts).map { ($0, max(0, Int($1.int ?? 0))) })
    }

    // MARK: - Calls

    var ttlArgument: RESPArgument {
        .string(resultTTL.map { String(max(1, Int($0.timeInterval.rounded(.up)))) } ?? "0")
    }

    func time(_ date: Date) -> RESPArgument { .string(String(date.timeIntervalSince1970)) }

    /// Runs one of the queue's scripts with the key prefixes as its first two arguments. The scripts build
    /// their key names from those prefixes; the one declared key routes the call to the queue's slot on a
    /// Redis Cluster (every queue key carries the same hash tag).
    func run(_ script: RedisScript, _ operation: String, _ arguments: [RESPArgument]) async throws -> RESPValue {
        try await call(operation) {
            try await self.client.evalScript(script, keys: [self.queuePrefix + "depth"], arguments: [.string(self.queuePrefix), .string(self.taskPrefix)] + arguments)
        }
    }

    /// Runs `body`, turning Redis failures into `BrokerHubError(.unavailable)`.
    func call(_ operation: String, _ body: () async throws -> RESPValue) async throws -> RESPValue {
        let reply: RESPValue
        do {
            reply = try await body()
        } catch let error as RedisError {
            throw BrokerHubError(.unavailable, "task queue: redis \(operation) failed: \(error)", underlying: error)
        }
        if let message = reply.errorMessage {
            throw BrokerHubError(.unavailable, "task queue: redis \(operation) failed: \(message)")
        }
        return reply
    }

    func malformed(_ operation: String, _ reply: RESPValue) -> BrokerHubError {
        BrokerHubError(.malformedPayload, "task queue: unexpected redis reply to \(operation): \(reply)")
    }
}
