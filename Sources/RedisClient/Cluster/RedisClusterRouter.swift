import Logging
import RedisWire
import Synchronization

/// Sends each command to the master that serves its key's slot, one ``RedisClient`` per node.
///
/// The slot map comes from `CLUSTER SLOTS` (asked of the seeds, then of any known master) on first use and
/// again after a node becomes unreachable; a `MOVED` reply corrects one slot at once and schedules a full
/// refresh; an `ASK` reply sends that one command to the importing node after `ASKING`. `TRYAGAIN` and
/// `CLUSTERDOWN` (a resharding or failover in progress) and an unreachable node are retried a few times with
/// a short pause: in each case the server has not run the command, so a retry cannot repeat it. A timeout or
/// a dropped connection is not retried, as on a single server.
final class RedisClusterRouter: Sendable {
    let configuration: RedisConfiguration
    let logger: Logger

    struct State {
        var map = RedisSlotMap()
        var nodes: [RedisEndpoint: RedisClient] = [:]
        var refresh: Task<Void, any Error>?
        var isShutdown = false
    }

    let state = Mutex(State())

    /// Attempts per command across redirections and retries.
    static let maximumAttempts = 6

    init(configuration: RedisConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: - Commands

    func send(_ arguments: [RESPArgument]) async throws -> RESPValue {
        let slot = RedisHashSlot.routingKey(of: arguments).map { RedisHashSlot.slot(of: $0) }
        var target = try await endpoint(for: slot)
        var asking = false
        for attempt in 1...Self.maximumAttempts {
            do {
                let node = try client(for: target)
                if asking {
                    return try await node.pipeline([["ASKING"], arguments])[1].get()
                }
                return try await node.send(arguments)
            } catch let error as RedisError {
                if let redirect = RedisClusterRedirect(error, from: target) {
                    if redirect.kind == .moved { moved(redirect) }
                    target = redirect.endpoint
                    asking = redirect.kind == .ask
                    continue
                }
                guard Self.isRetryable(error), attempt < Self.maximumAttempts else { throw error }
                try await Task.sleep(for: .milliseconds(50 * attempt))
                try? await refreshMap(force: true)
                target = try await endpoint(for: slot)
                asking = false
            }
        }
        throw RedisError(.server, "CLUSTERDOWN no stable owner for the slot after \(Self.maximumAttempts) attempts")
    }

    /// The commands grouped by node, each group in one pipeline; replies in the order of `commands`. A
    /// redirected or refused reply is sent again on its own through `send`.
    func pipeline(_ commands: [[RESPArgument]]) async throws -> [Result<RESPValue, RedisError>] {
        var groups: [RedisEndpoint: [Int]] = [:]
        var endpoints: [RedisEndpoint] = []
        for (index, command) in commands.enumerated() {
            let slot = RedisHashSlot.routingKey(of: command).map { RedisHashSlot.slot(of: $0) }
            let endpoint = try await endpoint(for: slot)
            endpoints.append(endpoint)
            groups[endpoint, default: []].append(index)
        }
        var results = [Result<RESPValue, RedisError>?](repeating: nil, count: commands.count)
        try await withThrowingTaskGroup(of: ([Int], [Result<RESPValue, RedisError>]).self) { group in
            for (endpoint, indices) in groups {
                let node = try client(for: endpoint)
                group.addTask { (indices, try await node.pipeline(indices.map { commands[$0] })) }
            }
            for try await (indices, replies) in group {
                for (index, reply) in zip(indices, replies) { results[index] = reply }
            }
        }
        for index in results.indices {
            guard case .failure(let error) = results[index], RedisClusterRedirect(error, from: endpoints[index]) != nil || Self.isRetryable(error)
            else { continue }
            do {
                results[index] = .success(try await send(commands[index]))
            } catch let error as RedisError {
                results[index] = .failure(error)
            }
        }
        return results.map { $0! }
    }

    /// Runs `arguments` on every master (e.g. `SCRIPT LOAD`, `KEYS`); replies in no particular order.
    func sendToEveryMaster(_ arguments: [RESPArgument]) async throws -> [RESPValue] {
        try await refreshMap(force: false)
        let nodes = try state.withLock { state in try state.map.masters.map { try client(&state, $0) } }
        return try await withThrowingTaskGroup(of: RESPValue.self) { group in
            for node in nodes { group.addTask { try await node.send(arguments) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// The node clients that exist (for `isConnected`).
    var nodeClients: [RedisClient] { state.withLock { Array($0.nodes.values) } }

    func shutdown() async {
        let (nodes, refresh) = state.withLock { state in
            state.isShutdown = true
            defer { state.nodes = [:] }
            return (Array(state.nodes.values), state.refresh)
        }
        refresh?.cancel()
        for node in nodes { await node.shutdown() }
    }

    // MARK: - The slot map

    static func isRetryable(_ error: RedisError) -> Bool {
        error.code == .unreachable || error.serverErrorPrefix == "TRYAGAIN" || error.serverErrorPrefix == "CLUSTERDOWN"
    }

    /// The master for `slot` (any master for keyless commands), reading the map first when it does not know.
    private func endpoint(for slot: Int?) async throws -> RedisEndpoint {
        if let known = lookup(slot) { return known }
        try await refreshMap(force: true)
        if let known = lookup(slot) { return known }
        throw RedisError(.server, "CLUSTERDOWN slot \(slot.map(String.init) ?? "-") is not served by any master")
    }

    private func lookup(_ slot: Int?) -> RedisEndpoint? {
        state.withLock { state in
            guard let slot else { return state.map.masters.first }
            return state.map.endpoint(forSlot: slot)
        }
    }

    private func moved(_ redirect: RedisClusterRedirect) {
        state.withLock { $0.map.assign(redirect.slot, to: redirect.endpoint) }
        logger.debug("redis cluster slot moved", metadata: ["redis.slot": "\(redirect.slot)", "redis.node": "\(redirect.endpoint)"])
        Task { try? await self.refreshMap(force: true) }
    }

    /// Reads `CLUSTER SLOTS` (one refresh at a time; callers that arrive meanwhile wait for it). Without
    /// `force`, only when no map was read yet.
    func refreshMap(force: Bool) async throws {
        let task: Task<Void, any Error>? = try state.withLock { state in
            guard !state.isShutdown else { throw RedisError(.closed, "client is shut down") }
            if let running = state.refresh { return running }
            if !force, !state.map.masters.isEmpty { return nil }
            let candidates = configuration.clusterSeeds + state.map.masters
            let task = Task { try await self.readMap(from: candidates) }
            state.refresh = task
            return task
        }
        guard let task else { return }
        defer {
            state.withLock { state in
                if state.refresh == task { state.refresh = nil }
            }
        }
        try await task.value
    }

    private func readMap(from candidates: [RedisEndpoint]) async throws {
        var lastError: any Error = RedisError(.unreachable, "no Redis Cluster node configured")
        var tried = Set<RedisEndpoint>()
        for candidate in candidates where tried.insert(candidate).inserted {
            do {
                let reply = try await client(for: candidate).send(["CLUSTER", "SLOTS"])
                let map = try RedisSlotMap(clusterSlots: reply, defaultHost: candidate.host)
                guard !map.masters.isEmpty else { throw RedisError(.server, "CLUSTERDOWN \(candidate) knows no master") }
                state.withLock { $0.map = map }
                logger.debug("redis cluster map read", metadata: [
                    "redis.node": "\(candidate)", "redis.masters": "\(map.masters.count)", "redis.uncovered_slots": "\(map.uncoveredSlots)",
                ])
                return
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    // MARK: - Node clients

    private func client(for endpoint: RedisEndpoint) throws -> RedisClient {
        try state.withLock { try client(&$0, endpoint) }
    }

    private func client(_ state: inout State, _ endpoint: RedisEndpoint) throws -> RedisClient {
        guard !state.isShutdown else { throw RedisError(.closed, "client is shut down") }
        if let node = state.nodes[endpoint] { return node }
        var node = configuration
        node.host = endpoint.host
        node.port = endpoint.port
        node.clusterSeeds = []
        let client = RedisClient(configuration: node, logger: logger)
        state.nodes[endpoint] = client
        return client
    }
}
