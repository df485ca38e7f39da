import BrokerCore

/// Where a snapshot collector's calls go: always through a hub (its shared token and budget), either the hub
/// of this process (`HubSnapshotSource`) or a running hub over HTTP (`HTTPSnapshotSource`).
public protocol SnapshotSource: Sendable {
    /// Runs one call; the quotes it answered and, for rows it could not use, why (symbols unknown to the broker).
    func fetch(_ call: SnapshotCall) async throws -> SnapshotAnswer
}

/// What one call answered.
public struct SnapshotAnswer: Sendable {
    public var quotes: [Quote]
    /// The normaliser's reasons for rows it skipped (placeholder rows, unknown symbols).
    public var skipped: [String]

    public init(quotes: [Quote], skipped: [String] = []) {
        self.quotes = quotes
        self.skipped = skipped
    }
}
