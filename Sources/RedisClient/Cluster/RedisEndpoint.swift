/// One Redis node's address.
public struct RedisEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses `host:port` (a node address in a `MOVED`/`ASK` reply). An empty host or `?` means the node
    /// the reply came from (Redis sends that when the node does not know its own address); that node's host
    /// is `defaultHost`.
    init?(address: Substring, defaultHost: String) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (1...65535).contains(port)
        else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.init(reportedHost: host, port: port, defaultHost: defaultHost)
    }

    /// A node as another node reports it (`MOVED`, `CLUSTER SLOTS`): an empty host or `?` is `defaultHost`,
    /// the reporting node's own.
    init(reportedHost host: String, port: Int, defaultHost: String) {
        self.init(host: host.isEmpty || host == "?" ? defaultHost : host, port: port)
    }
}
