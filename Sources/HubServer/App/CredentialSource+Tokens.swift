import BrokerClients
import BrokerCore
import Collector
import HubEngine

extension CredentialSource {
    /// Realtime credentials from the hub's token manager — KIS approval keys, Kiwoom access tokens — so a
    /// collector never issues a token of its own; a refused one is invalidated there (the next fetch issues a
    /// new one, paced by the manager's rules).
    public static func tokens(_ tokens: TokenManager) -> CredentialSource {
        @Sendable func kind(_ account: BrokerAccount) -> TokenKind { account.provider == .kis ? .approval : .access }
        return CredentialSource(
            fetch: { account in try await tokens.token(for: account, kind: kind(account)) },
            invalidate: { account, value in _ = try? await tokens.invalidate(value, for: account, kind: kind(account)) }
        )
    }
}
