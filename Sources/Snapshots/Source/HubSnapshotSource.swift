import BrokerCore
import HubEngine

/// Calls through this process's hub front door (`Hub.execute`): `serve` with a snapshot schedule, the
/// benchmark and the tests.
public struct HubSnapshotSource: SnapshotSource {
    let hub: Hub
    let timeout: Duration

    public init(hub: Hub, timeout: Duration = .seconds(30)) {
        self.hub = hub
        self.timeout = timeout
    }

    public func fetch(_ call: SnapshotCall) async throws -> SnapshotAnswer {
        let result = try await hub.execute(HubRequest(
            provider: call.provider, transaction: call.transaction, parameters: call.parameters, priority: call.priority,
            timeout: timeout, sourceType: .restQuote
        ))
        let quotes = result.records.compactMap { record -> Quote? in
            if case .quote(let quote) = record { return quote }
            return nil
        }
        return SnapshotAnswer(quotes: quotes, skipped: result.skipped)
    }
}
