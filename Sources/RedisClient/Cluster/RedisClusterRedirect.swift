/// A cluster node's answer that a key's slot is served elsewhere: `MOVED` (the slot moved for good: update
/// the map) or `ASK` (it is migrating: send this one command there, after `ASKING`).
struct RedisClusterRedirect: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case moved
        case ask
    }

    var kind: Kind
    var slot: Int
    var endpoint: RedisEndpoint

    init(kind: Kind, slot: Int, endpoint: RedisEndpoint) {
        self.kind = kind
        self.slot = slot
        self.endpoint = endpoint
    }

    /// Reads `MOVED 3999 127.0.0.1:6381` or `ASK 3999 127.0.0.1:6381` from a server error; nil for any other.
    init?(_ error: RedisError, from node: RedisEndpoint) {
        let kind: Kind
        switch error.serverErrorPrefix {
        case "MOVED": kind = .moved
        case "ASK": kind = .ask
        default: return nil
        }
        let parts = error.message.split(separator: " ")
        guard parts.count == 3, let slot = Int(parts[1]), (0..<RedisHashSlot.count).contains(slot),
            let endpoint = RedisEndpoint(address: parts[2], defaultHost: node.host)
        else { return nil }
        self.kind = kind
        self.slot = slot
        self.endpoint = endpoint
    }
}
