import Logging
import NIOCore
import NIOPosix
import RedisWire

/// One TCP connection to Redis with a pipelining handler; commands may be in flight concurrently.
final class RedisConnection: Sendable {
    let channel: any Channel
    let id: Int

    private init(channel: any Channel, id: Int) {
        self.channel = channel
        self.id = id
    }

    var isActive: Bool { channel.isActive }

    /// Connects and runs the handshake (`HELLO 3`, `AUTH`, `SELECT`) as configured.
    static func connect(
        configuration: RedisConfiguration,
        id: Int,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws -> RedisConnection {
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPMessageDecoder()))
                    try channel.pipeline.syncOperations.addHandler(RedisCommandHandler(onPush: onPush))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            throw RedisError(.unreachable, "cannot connect to \(configuration.redactedURL)", underlying: error)
        }
        let connection = RedisConnection(channel: channel, id: id)
        do {
            try await connection.handshake(configuration)
        } catch {
            channel.close(promise: nil)
            if let error = error as? RedisError, error.code == .server { throw error }
            throw RedisError(.unreachable, "handshake with \(configuration.redactedURL) failed", underlying: error)
        }
        return connection
    }

    private func handshake(_ configuration: RedisConfiguration) async throws {
        var commands: [[RESPArgument]] = []
        if configuration.useRESP3 {
            var hello: [RESPArgument] = ["HELLO", "3"]
            if let password = configuration.password {
                hello += ["AUTH", .string(configuration.username ?? "default"), .string(password)]
            }
            commands.append(hello)
        } else if let password = configuration.password {
            if let username = configuration.username {
                commands.append(["AUTH", .string(username), .string(password)])
            } else {
                commands.append(["AUTH", .string(password)])
            }
        }
        if configuration.database != 0 { commands.append(["SELECT", .int(configuration.database)]) }
        guard !commands.isEmpty else { return }
        let replies = try await send(commands, timeout: configuration.connectTimeout)
        for reply in replies {
            if let message = reply.errorMessage { throw RedisError(.server, message) }
        }
    }

    /// Writes `commands` in one write; returns their replies in order (error replies included as values).
    func send(_ commands: [[RESPArgument]], timeout: Duration?) async throws -> [RESPValue] {
        var buffer = channel.allocator.buffer(capacity: 64 * commands.count)
        for command in commands { buffer.writeRESPCommand(command) }
        return try await send(encoded: buffer, replyCount: commands.count, timeout: timeout)
    }

    func send(encoded: ByteBuffer, replyCount: Int, timeout: Duration?) async throws -> [RESPValue] {
        let promise = channel.eventLoop.makePromise(of: [RESPValue].self)
        let request = RedisRequest(bytes: encoded, replyCount: replyCount, timeout: timeout.map(TimeAmount.init), promise: promise)
        channel.writeAndFlush(request).whenFailure { error in
            promise.fail(error as? RedisError ?? RedisError(.closed, "write failed", underlying: error))
        }
        return try await promise.futureResult.get()
    }

    /// Writes without awaiting replies (Pub/Sub commands on a subscriber connection).
    func write(_ commands: [[RESPArgument]]) async throws {
        var buffer = channel.allocator.buffer(capacity: 64 * commands.count)
        for command in commands { buffer.writeRESPCommand(command) }
        let request = RedisRequest(bytes: buffer, replyCount: 0, timeout: nil, promise: nil)
        do {
            try await channel.writeAndFlush(request).get()
        } catch {
            throw error as? RedisError ?? RedisError(.closed, "write failed", underlying: error)
        }
    }

    func close() {
        channel.close(promise: nil)
    }
}
