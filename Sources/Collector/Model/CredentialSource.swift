import BrokerClients

/// Where sessions get their credential (KIS approval key, Kiwoom access token) and where they hand back one
/// the broker refused, so that the next fetch issues a new one instead of returning the same.
public struct CredentialSource: Sendable {
    public var fetch: @Sendable (BrokerAccount) async throws -> String
    public var invalidate: @Sendable (BrokerAccount, String) async -> Void

    public init(
        fetch: @escaping @Sendable (BrokerAccount) async throws -> String,
        invalidate: @escaping @Sendable (BrokerAccount, String) async -> Void = { _, _ in }
    ) {
        self.fetch = fetch
        self.invalidate = invalidate
    }
}
