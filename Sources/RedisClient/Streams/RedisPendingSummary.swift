/// The summary form of `XPENDING key group`.
public struct RedisPendingSummary: Sendable, Hashable {
    /// Entries delivered but not acknowledged.
    public var count: Int
    public var smallestID: String?
    public var largestID: String?
    /// Pending count per consumer name.
    public var consumers: [String: Int]

    public init(count: Int, smallestID: String?, largestID: String?, consumers: [String: Int]) {
        self.count = count
        self.smallestID = smallestID
        self.largestID = largestID
        self.consumers = consumers
    }
}
