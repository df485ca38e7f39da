import RedisWire

extension RedisClient {
    /// Runs `script` with `EVALSHA`, loading it first if this client has no SHA for it, and reloading it once
    /// when the server answers `NOSCRIPT` (e.g. after `SCRIPT FLUSH` or a restart).
    public func evalScript(_ script: RedisScript, keys: [String], arguments: [RESPArgument]) async throws -> RESPValue {
        let cached = state.withLock { $0.scripts[script.source] }
        let sha: String
        if let cached { sha = cached } else { sha = try await loadScript(script) }
        do {
            return try await send(Self.evalSHA(sha, keys: keys, arguments: arguments))
        } catch let error as RedisError where error.serverErrorPrefix == "NOSCRIPT" {
            let reloaded = try await loadScript(script)
            return try await send(Self.evalSHA(reloaded, keys: keys, arguments: arguments))
        }
    }

    /// `SCRIPT LOAD`s `script` (on every master of a cluster) and caches its SHA; returns the SHA.
    @discardableResult
    public func loadScript(_ script: RedisScript) async throws -> String {
        let command: [RESPArgument] = ["SCRIPT", "LOAD", .string(script.source)]
        let replies = if let cluster { try await cluster.sendToEveryMaster(command) } else { [try await send(command)] }
        guard let sha = replies.first?.string, replies.allSatisfy({ $0.string == sha }) else {
            throw RedisError(.protocolViolation, "SCRIPT LOAD returned \(replies)")
        }
        state.withLock { $0.scripts[script.source] = sha }
        return sha
    }

    private static func evalSHA(_ sha: String, keys: [String], arguments: [RESPArgument]) -> [RESPArgument] {
        var command: [RESPArgument] = ["EVALSHA", .string(sha), .int(keys.count)]
        command.reserveCapacity(3 + keys.count + arguments.count)
        for key in keys { command.append(.string(key)) }
        command += arguments
        return command
    }
}
