import Logging
import NIOCore
import NIOPosix
import RedisWire
import ServiceLifecycle
import Synchronization

/// A small pool of pipelined Redis connections.
///
/// Connections open lazily on first use, so `run()` need not be running (tests, CLI). While Redis is known to be
/// down every call fails at once with `.unreachable`; the next attempt happens at the first call after the backoff
/// delay. Blocking commands (`XREADGROUP … BLOCK`, `BLPOP`, …) run on their own connections so they never stall
/// other callers. A timed-out command closes its connection (later replies would no longer line up).
///
/// With a `redis+cluster://` configuration the client talks to a Redis Cluster: each command goes to the
/// master that serves its first key's slot (one such pool per node), following `MOVED` and `ASK`; keys one
/// script or multi-key command touches must share a hash tag (`{…}`).
public final class RedisClient: Service, Sendable {
    public let configuration: RedisConfiguration
    let logger: Logger
    /// Routes commands on a Redis Cluster; nil for a single server.
    let cluster: RedisClusterRouter?
    let group: any EventLoopGroup
    let state: Mutex<State>

    enum Slot {
        case empty(everConnected: Bool)
        case connecting(Task<RedisConnection, any Error>)
        case ready(RedisConnection)
    }

    struct State {
        var slots: [Slot]
        var nextSlot = 0
        var idleBlocking: [RedisConnection] = []
        var open: [Int: RedisConnection] = [:]
        var nextConnectionID = 0
        var down: (until: ContinuousClock.Instant, error: RedisError)?
        var backoff: Duration?
        var isShutdown = false
        var scripts: [String: String] = [:]
        var subscriptions: [Int: SubscriptionDriver] = [:]
    }

    /// Creates the client; nothing connects until the first command.
    public init(configuration: RedisConfiguration, logger: Logger = Logger(label: "brokerhub.redis")) {
        var logger = logger
        logger[metadataKey: "redis.url"] = .string(configuration.redactedURL)
        self.configuration = configuration
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup.singleton
        let slots = [Slot](repeating: .empty(everConnected: false), count: max(1, configuration.poolSize))
        self.state = Mutex(State(slots: slots))
        cluster = configuration.isCluster ? RedisClusterRouter(configuration: configuration, logger: logger) : nil
    }

    /// `Service`: waits for graceful shutdown, then closes every connection and subscription.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Closes every connection and ends every subscription; later calls fail with `.closed`. Idempotent.
    public func shutdown() async {
        let (connections, tasks, subscriptions) = state.withLock { state in
            state.isShutdown = true
            var tasks: [Task<RedisConnection, any Error>] = []
            for slot in state.slots {
                if case .connecting(let task) = slot { tasks.append(task) }
            }
            state.slots = state.slots.map { _ in .empty(everConnected: true) }
            state.idleBlocking = []
            let subscriptions = Array(state.subscriptions.values)
            state.subscriptions = [:]
            return (Array(state.open.values), tasks, subscriptions)
        }
        await cluster?.shutdown()
        for subscription in subscriptions { subscription.cancel() }
        for task in tasks { (try? await task.value)?.close() }
        for connection in connections {
            connection.close()
            try? await connection.channel.closeFuture.get()
        }
    }

    /// `true` when at least one pooled connection is open.
    public var isConnected: Bool {
        if let cluster { return cluster.nodeClients.contains(where: \.isConnected) }
        return state.withLock { state in
            state.slots.contains { slot in
                if case .ready(let connection) = slot { return connection.isActive }
                return false
            }
        }
    }

    /// Sends one command; an error reply throws `RedisError(.server, message)`.
    public func send(_ arguments: [RESPArgument]) async throws -> RESPValue {
        if let cluster { return try await cluster.send(arguments) }
        return try await recording(commands: 1) {
            let reply: RESPValue
            if let block = Self.blockingTime(of: arguments) {
                let timeout = block.map { $0 + configuration.commandTimeout }
                reply = try await withBlockingConnection { try await $0.send([arguments], timeout: timeout)[0] }
            } else {
                reply = try await pooledConnection().send([arguments], timeout: configuration.commandTimeout)[0]
            }
            if let message = reply.errorMessage { throw RedisError(.server, message) }
            return reply
        }
    }

    /// Sends one command; an error reply throws `RedisError(.server, message)`.
    public func send(_ arguments: RESPArgument...) async throws -> RESPValue {
        try await send(arguments)
    }

    /// Sends all commands in one write on one connection; replies come back in order, error replies as `.failure`.
    /// Throws only for transport problems (unreachable, timeout, closed). The whole batch shares one command
    /// timeout and a pooled connection: do not put blocking commands (`… BLOCK`, `BLPOP`) in a pipeline.
    public func pipeline(_ commands: [[RESPArgument]]) async throws -> [Result<RESPValue, RedisError>] {
        guard !commands.isEmpty else { return [] }
        if let cluster { return try await cluster.pipeline(commands) }
        return try await recording(commands: commands.count) {
            let replies = try await pooledConnection().send(commands, timeout: configuration.commandTimeout)
            return replies.map { reply in
                if let message = reply.errorMessage {
                    RedisMetrics.error(.server)
                    return .failure(RedisError(.server, message))
                }
                return .success(reply)
            }
        }
    }

    /// Every key matching `pattern` (`KEYS`, on every master of a cluster). For tools and tests: `KEYS`
    /// holds the server while it scans the whole keyspace.
    public func keys(matching pattern: String) async throws -> [String] {
        let replies: [RESPValue]
        if let cluster {
            replies = try await cluster.sendToEveryMaster(["KEYS", .string(pattern)])
        } else {
            replies = [try await send("KEYS", .string(pattern))]
        }
        return replies.flatMap { ($0.array ?? []).compactMap(\.string) }
    }

    /// Deletes `keys` (one `DEL` per slot on a cluster); returns how many existed.
    @discardableResult
    public func delete(_ keys: [String]) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        let groups = cluster == nil ? [keys] : Array(Dictionary(grouping: keys, by: { RedisHashSlot.slot(of: $0) }).values)
        var deleted = 0
        for group in groups {
            deleted += Int(try await send([.string("DEL")] + group.map { .string($0) }).int ?? 0)
        }
        return deleted
    }

    /// Round trip of a `PING`.
    public func ping() async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        _ = try await send("PING")
        return clock.now - start
    }

    private func recording<T>(commands: Int, _ body: () async throws -> T) async throws -> T {
        RedisMetrics.commands(commands)
        do {
            return try await body()
        } catch let error as RedisError {
            RedisMetrics.error(error.code)
            throw error
        }
    }
}
