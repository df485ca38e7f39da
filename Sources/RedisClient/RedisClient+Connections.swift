import Logging
import NIOCore
import RedisWire

extension RedisClient {
    /// The next pooled connection (round robin), opening it if needed.
    func pooledConnection() async throws -> RedisConnection {
        enum Action {
            case use(RedisConnection)
            case wait(Task<RedisConnection, any Error>, slot: Int)
        }
        let action: Action = try state.withLock { state in
            guard !state.isShutdown else { throw RedisError(.closed, "client is shut down") }
            let index = state.nextSlot % state.slots.count
            state.nextSlot &+= 1
            var everConnected = true
            switch state.slots[index] {
            case .ready(let connection) where connection.isActive:
                return .use(connection)
            case .connecting(let task):
                return .wait(task, slot: index)
            case .empty(let ever):
                everConnected = ever
            case .ready:
                break
            }
            let task = try startConnecting(&state, isReconnect: everConnected)
            state.slots[index] = .connecting(task)
            return .wait(task, slot: index)
        }
        switch action {
        case .use(let connection):
            return connection
        case .wait(let task, let index):
            do {
                let connection = try await task.value
                state.withLock { state in
                    if case .connecting(let current) = state.slots[index], current == task {
                        state.slots[index] = state.isShutdown ? .empty(everConnected: true) : .ready(connection)
                    }
                }
                return connection
            } catch {
                state.withLock { state in
                    if case .connecting(let current) = state.slots[index], current == task {
                        state.slots[index] = .empty(everConnected: true)
                    }
                }
                throw error
            }
        }
    }

    /// Runs `body` on a dedicated connection (blocking commands); cancelling the caller closes that connection.
    func withBlockingConnection<T: Sendable>(_ body: @Sendable (RedisConnection) async throws -> T) async throws -> T {
        let idle: RedisConnection? = try state.withLock { state in
            guard !state.isShutdown else { throw RedisError(.closed, "client is shut down") }
            while let connection = state.idleBlocking.popLast() {
                if connection.isActive { return connection }
            }
            return nil
        }
        let connection: RedisConnection
        if let idle {
            connection = idle
        } else {
            let task = try state.withLock { try startConnecting(&$0, isReconnect: false) }
            connection = try await task.value
        }
        do {
            let result = try await withTaskCancellationHandler {
                try await body(connection)
            } onCancel: {
                connection.close()
            }
            let keep = state.withLock { state in
                guard !state.isShutdown, connection.isActive, state.idleBlocking.count < state.slots.count else {
                    return false
                }
                state.idleBlocking.append(connection)
                return true
            }
            if !keep { connection.close() }
            return result
        } catch {
            connection.close()
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
    }

    /// Starts opening a connection unless Redis is known to be down (then throws `.unreachable` at once).
    func startConnecting(_ state: inout State, isReconnect: Bool) throws -> Task<RedisConnection, any Error> {
        if let down = state.down, ContinuousClock.now < down.until {
            throw down.error
        }
        let id = state.nextConnectionID
        state.nextConnectionID += 1
        return Task { try await self.openConnection(id: id, isReconnect: isReconnect) }
    }

    private func openConnection(id: Int, isReconnect: Bool) async throws -> RedisConnection {
        let connection: RedisConnection
        do {
            connection = try await RedisConnection.connect(configuration: configuration, id: id, group: group)
        } catch {
            let redisError = error as? RedisError ?? RedisError(.unreachable, "cannot connect", underlying: error)
            let (firstFailure, delay) = state.withLock { state in
                let first = state.down == nil
                let next = state.backoff.map { min($0 * 2, configuration.reconnectBackoff.maximum) }
                    ?? configuration.reconnectBackoff.initial
                state.backoff = next
                let jittered = next * Double.random(in: 0.8...1.2)
                state.down = (ContinuousClock.now + jittered, redisError)
                return (first, jittered)
            }
            let metadata: Logger.Metadata = [
                "redis.error": "\(redisError)", "redis.retry_in_ms": "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)",
            ]
            if firstFailure {
                logger.warning("redis unreachable", metadata: metadata)
            } else {
                logger.debug("redis still unreachable", metadata: metadata)
            }
            throw redisError
        }
        let (shutDown, recovered) = state.withLock { state in
            let recovered = state.down != nil
            state.down = nil
            state.backoff = nil
            if !state.isShutdown { state.open[id] = connection }
            return (state.isShutdown, recovered)
        }
        if shutDown {
            connection.close()
            throw RedisError(.closed, "client is shut down")
        }
        if isReconnect || recovered { RedisMetrics.reconnect() }
        logger.info("redis connected", metadata: ["redis.connection": "\(id)"])
        connection.channel.closeFuture.whenComplete { [weak self] _ in
            guard let self else { return }
            let shutDown = self.state.withLock { state in
                state.open[id] = nil
                return state.isShutdown
            }
            if shutDown {
                self.logger.debug("redis connection closed", metadata: ["redis.connection": "\(id)"])
            } else {
                self.logger.info("redis disconnected", metadata: ["redis.connection": "\(id)"])
            }
        }
        return connection
    }

    /// `nil` for ordinary commands; for blocking ones the block time (`.some(nil)` = forever).
    static func blockingTime(of arguments: [RESPArgument]) -> Duration?? {
        guard let first = arguments.first else { return nil }
        // Fast path: every blocking command starts with B, X or W.
        switch first.firstByte {
        case UInt8(ascii: "B"), UInt8(ascii: "b"), UInt8(ascii: "X"), UInt8(ascii: "x"), UInt8(ascii: "W"), UInt8(ascii: "w"): break
        default: return nil
        }
        let name = first.description.uppercased()
        func seconds(_ argument: RESPArgument?) -> Duration?? {
            guard let text = argument?.description, let value = Double(text) else { return .some(nil) }
            return value <= 0 ? .some(nil) : .some(.milliseconds(Int64(value * 1000)))
        }
        switch name {
        case "XREAD", "XREADGROUP":
            guard let index = arguments.firstIndex(where: { $0.description.uppercased() == "BLOCK" }),
                index + 1 < arguments.count, let ms = Int64(arguments[index + 1].description)
            else { return nil }
            return ms <= 0 ? .some(nil) : .some(.milliseconds(ms))
        case "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BZPOPMIN", "BZPOPMAX":
            return seconds(arguments.last)
        case "BLMPOP", "BZMPOP":
            return seconds(arguments.count > 1 ? arguments[1] : nil)
        case "WAIT", "WAITAOF":
            guard let text = arguments.last?.description, let ms = Int64(text) else { return .some(nil) }
            return ms <= 0 ? .some(nil) : .some(.milliseconds(ms))
        default:
            return nil
        }
    }
}
