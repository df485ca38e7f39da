import RedisWire

/// Which master serves each of the 16,384 slots, read from `CLUSTER SLOTS` and corrected by `MOVED`.
struct RedisSlotMap: Sendable {
    private(set) var endpoints: [RedisEndpoint] = []
    /// The masters that serve at least one slot (kept with `owners`: keyless commands ask for it every call).
    private(set) var masters: [RedisEndpoint] = []
    /// Index into `endpoints` per slot; `unknown` when no master serves it.
    private var owners = [UInt16](repeating: unknown, count: RedisHashSlot.count)
    private static let unknown = UInt16.max

    init() {}

    /// Reads a `CLUSTER SLOTS` reply (`[[start, end, [host, port, id…], replicas…], …]`); only masters are
    /// used. An empty host or `?` is `defaultHost` (the node that answered).
    init(clusterSlots reply: RESPValue, defaultHost: String) throws {
        guard let ranges = reply.array else { throw Self.malformed(reply) }
        for range in ranges {
            guard let fields = range.array, fields.count >= 3, let start = fields[0].int, let end = fields[1].int,
                let master = fields[2].array, master.count >= 2, let port = master[1].int,
                0 <= start, start <= end, end < RedisHashSlot.count
            else { throw Self.malformed(reply) }
            let endpoint = RedisEndpoint(reportedHost: master[0].string ?? "", port: Int(port), defaultHost: defaultHost)
            let index = self.index(of: endpoint)
            for slot in Int(start)...Int(end) { owners[slot] = index }
        }
        masters = Self.masters(endpoints, owners)
    }

    /// The master serving `slot`, if known.
    func endpoint(forSlot slot: Int) -> RedisEndpoint? {
        let owner = owners[slot]
        return owner == Self.unknown ? nil : endpoints[Int(owner)]
    }

    /// Records that `endpoint` serves `slot` (a `MOVED`).
    mutating func assign(_ slot: Int, to endpoint: RedisEndpoint) {
        owners[slot] = index(of: endpoint)
        masters = Self.masters(endpoints, owners)
    }

    private mutating func index(of endpoint: RedisEndpoint) -> UInt16 {
        if let known = endpoints.firstIndex(of: endpoint) { return UInt16(known) }
        endpoints.append(endpoint)
        return UInt16(endpoints.count - 1)
    }

    /// Slots no master serves.
    var uncoveredSlots: Int { owners.lazy.filter { $0 == Self.unknown }.count }

    private static func masters(_ endpoints: [RedisEndpoint], _ owners: [UInt16]) -> [RedisEndpoint] {
        let used = Set(owners.filter { $0 != unknown })
        return endpoints.indices.filter { used.contains(UInt16($0)) }.map { endpoints[$0] }
    }

    private static func malformed(_ reply: RESPValue) -> RedisError {
        RedisError(.protocolViolation, "unexpected CLUSTER SLOTS reply: \(reply)")
    }
}
