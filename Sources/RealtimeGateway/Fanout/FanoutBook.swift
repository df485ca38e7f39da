/// Who holds which registration (pure): the reference counts behind the gateway's one-upstream-many-clients
/// rule. The first holder of a key is the one that needs a broker registration; the last release frees it.
struct FanoutBook: Sendable {
    /// What `hold` found.
    enum Hold: Equatable {
        /// The first holder: the key needs a broker registration.
        case first
        /// Others hold it already: the broker registration is shared.
        case shared
        /// This client holds it already.
        case already
    }

    private(set) var holders: [GatewayKey: Set<GatewayClientID>] = [:]
    private(set) var held: [GatewayClientID: Set<GatewayKey>] = [:]

    /// Keys with at least one holder (one broker registration each).
    var keys: Dictionary<GatewayKey, Set<GatewayClientID>>.Keys { holders.keys }

    func holds(_ client: GatewayClientID, _ key: GatewayKey) -> Bool { held[client]?.contains(key) == true }

    func count(of client: GatewayClientID) -> Int { held[client]?.count ?? 0 }

    mutating func hold(_ client: GatewayClientID, _ key: GatewayKey) -> Hold {
        if held[client]?.contains(key) == true { return .already }
        held[client, default: []].insert(key)
        let first = holders[key] == nil
        holders[key, default: []].insert(client)
        return first ? .first : .shared
    }

    /// Releases `key` for `client`; true when that was the last holder (the broker registration can go).
    /// Nil when the client did not hold it.
    mutating func release(_ client: GatewayClientID, _ key: GatewayKey) -> Bool? {
        guard held[client]?.remove(key) != nil else { return nil }
        if held[client]?.isEmpty == true { held[client] = nil }
        holders[key]?.remove(client)
        guard holders[key]?.isEmpty == true else { return false }
        holders[key] = nil
        return true
    }

    /// Releases everything `client` holds; returns the keys nobody holds any more.
    mutating func remove(_ client: GatewayClientID) -> [GatewayKey] {
        guard let keys = held.removeValue(forKey: client) else { return [] }
        var freed: [GatewayKey] = []
        for key in keys {
            holders[key]?.remove(client)
            if holders[key]?.isEmpty == true {
                holders[key] = nil
                freed.append(key)
            }
        }
        return freed
    }
}
