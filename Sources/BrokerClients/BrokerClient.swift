import BrokerCore
import BrokerWire
import Foundation

/// A broker's REST surface: token issuance, authenticated exchanges, pagination and error classification.
/// `KISClient` and `KiwoomClient` implement it over AsyncHTTPClient.
public protocol BrokerClient: Sendable {
    var provider: Provider { get }

    /// Issues (or is handed back) the account's access token.
    func issueToken(for account: BrokerAccount) async throws -> IssuedToken

    /// Revokes a token.
    func revokeToken(_ token: String, for account: BrokerAccount) async throws

    /// A realtime approval key (KIS); providers without one throw `.unsupportedTransaction`.
    func approvalKey(for account: BrokerAccount) async throws -> IssuedToken

    /// Sends `request` with the account's credentials and `token`; returns the raw answer whatever its
    /// status. Throws only for transport failures and timeouts (as `.brokerError` with category transient).
    func send(_ request: BrokerRequest, account: BrokerAccount, token: String, timeout: Duration) async throws -> BrokerResponse

    /// The classified failure in an answer, nil for success.
    func failure(in response: BrokerResponse) -> BrokerFailure?

    /// The request for the page after `response`, or nil when it was the last.
    func nextPage(of request: BrokerRequest, after response: BrokerResponse) -> BrokerRequest?
}
