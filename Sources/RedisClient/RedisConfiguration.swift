/// Where and how ``RedisClient`` connects.
public struct RedisConfiguration: Sendable {
    /// Reconnect delays: starts at `initial`, doubles per failed attempt up to `maximum`, with ±20 % jitter.
    public struct Backoff: Sendable, Hashable {
        public var initial: Duration
        public var maximum: Duration
        public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5)) {
            self.initial = initial
            self.maximum = maximum
        }
    }

    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int
    /// Number of pipelined connections for ordinary commands (default 4).
    public var poolSize: Int = 4
    /// TCP connect timeout, including the AUTH/SELECT handshake (default 2 s).
    public var connectTimeout: Duration = .seconds(2)
    /// Time allowed for a reply (default 5 s). Blocking commands get their block time on top.
    public var commandTimeout: Duration = .seconds(5)
    /// Delays between reconnect attempts while Redis is unreachable.
    public var reconnectBackoff = Backoff()
    /// Send `HELLO 3` on connect (RESP3). Default `false`: stay on RESP2.
    public var useRESP3 = false
    /// Redis Cluster's seed nodes (`redis+cluster://host:port,host:port`); empty for a single server. The
    /// first seed is also `host`/`port`, where subscriptions connect (Pub/Sub reaches every node of a cluster).
    public var clusterSeeds: [RedisEndpoint] = []

    /// `true` when the client talks to a Redis Cluster (commands go to the master of their key's slot).
    public var isCluster: Bool { !clusterSeeds.isEmpty }

    /// Whether `url` starts with a scheme `init(url:)` reads, `redis://` or `redis+cluster://` (it may still be
    /// malformed: `init(url:)` says how).
    public static func hasRedisScheme(_ url: String) -> Bool { url.hasPrefix("redis://") || url.hasPrefix("redis+cluster://") }

    /// Parses `redis://[[user]:password@]host[:port][/db]`, or `redis+cluster://[[user]:password@]host:port[,host:port…]`
    /// for a Redis Cluster (the nodes are seeds: the client learns the others; the database must be 0).
    /// `rediss://` (TLS) is not supported.
    public init(url: String) throws {
        let invalid = { (why: String) in RedisError(.invalidURL, "invalid Redis URL \(Self.redact(url)): \(why)") }
        guard let schemeEnd = url.firstRange(of: "://") else { throw invalid("missing scheme, expected redis://") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        if scheme == "rediss" { throw invalid("rediss:// (TLS) is not supported; use redis://") }
        guard scheme == "redis" || scheme == "redis+cluster" else {
            throw invalid("unsupported scheme '\(scheme)', expected redis:// or redis+cluster://")
        }
        var rest = Substring(url[schemeEnd.upperBound...])
        if let query = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<query] }
        var path = Substring("")
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                let user = String(userInfo[..<colon])
                username = user.isEmpty ? nil : Self.percentDecode(user)
                password = Self.percentDecode(String(userInfo[userInfo.index(after: colon)...]))
            } else if !userInfo.isEmpty {
                // redis://secret@host is the historical password-only form.
                password = Self.percentDecode(String(userInfo))
            }
        }
        var seeds: [RedisEndpoint] = []
        for address in rest.split(separator: ",", omittingEmptySubsequences: false) {
            seeds.append(try Self.endpoint(String(address), invalid: invalid))
        }
        let host = seeds[0].host
        let port = seeds[0].port
        var database = 0
        if !path.isEmpty {
            guard let db = Int(path), db >= 0 else { throw invalid("database must be a non-negative integer") }
            database = db
        }
        if scheme == "redis+cluster" {
            guard database == 0 else { throw invalid("a Redis Cluster has only database 0") }
            clusterSeeds = seeds
        } else if seeds.count > 1 {
            throw invalid("several hosts need redis+cluster://")
        }
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// `host[:port]` or `[ipv6][:port]`, port 6379 by default.
    private static func endpoint(_ text: String, invalid: (String) -> RedisError) throws -> RedisEndpoint {
        var host = text
        var port = 6379
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
            let after = host[host.index(after: close)...]
            let address = String(host[host.index(after: host.startIndex)..<close])
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw invalid("bad port") }
                port = p
            } else if !after.isEmpty {
                throw invalid("unexpected text after IPv6 address")
            }
            host = address
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else {
                throw invalid("bad port")
            }
            port = p
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { throw invalid("missing host") }
        return RedisEndpoint(host: host, port: port)
    }

    public init(host: String = "127.0.0.1", port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// The URL with any password replaced by `***`; safe for logs.
    public var redactedURL: String {
        var userInfo = ""
        if let username { userInfo = username }
        if password != nil { userInfo += ":***" }
        if !userInfo.isEmpty { userInfo += "@" }
        if isCluster {
            return "redis+cluster://\(userInfo)" + clusterSeeds.map(\.description).joined(separator: ",")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "redis://\(userInfo)\(hostPart):\(port)/\(database)"
    }

    static func redact(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://"), let at = url[schemeEnd.upperBound...].lastIndex(of: "@") else {
            return url
        }
        let userInfo = url[schemeEnd.upperBound..<at]
        if let colon = userInfo.firstIndex(of: ":") {
            return String(url[..<colon]) + ":***" + String(url[at...])
        }
        return String(url[..<schemeEnd.upperBound]) + "***" + String(url[at...])
    }

    private static func percentDecode(_ s: String) -> String {
        guard s.contains("%") else { return s }
        var bytes: [UInt8] = []
        var iterator = Array(s.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
