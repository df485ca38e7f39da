import BrokerCore
import BrokerWire
import Foundation

/// The Kiwoom REST client: `/oauth2/token`, `/oauth2/revoke` and api-id calls with `cont-yn` / `next-key`
/// pagination (continuation lives in headers).
public struct KiwoomClient: BrokerClient {
    public let provider = Provider.kiwoom
    public let transport: HTTPTransport
    public var authTimeout: Duration = .seconds(10)

    /// Issue times of tokens and approval keys (the hub passes its own clock).
    public let clock: any HubClock

    public init(transport: HTTPTransport = HTTPTransport(), clock: any HubClock = SystemClock()) {
        self.transport = transport
        self.clock = clock
    }

    public func issueToken(for account: BrokerAccount) async throws -> IssuedToken {
        var body = JSONWriter.Object()
        body.add("grant_type", "client_credentials")
        body.add("appkey", account.appKey)
        body.add("secretkey", account.secret)
        let response = try await post(account, "/oauth2/token", body.json)
        return try TokenAnswer.kiwoomAccessToken(status: response.status, body: response.body, issuedAt: clock.now)
    }

    public func revokeToken(_ token: String, for account: BrokerAccount) async throws {
        var body = JSONWriter.Object()
        body.add("appkey", account.appKey)
        body.add("secretkey", account.secret)
        body.add("token", token)
        let response = try await post(account, "/oauth2/revoke", body.json)
        if let failure = KiwoomEnvelope.failure(httpStatus: response.status, body: try? JSONParser.parse(response.body)) {
            throw BrokerHubError.broker(failure)
        }
    }

    public func approvalKey(for account: BrokerAccount) async throws -> IssuedToken {
        throw BrokerHubError(.unsupportedTransaction, "Kiwoom has no approval key: its WebSocket logs in with the access token")
    }

    public func send(_ request: BrokerRequest, account: BrokerAccount, token: String, timeout: Duration) async throws -> BrokerResponse {
        var headers = [
            ("content-type", "application/json;charset=UTF-8"),
            ("api-id", request.transaction),
            ("authorization", "Bearer \(token)"),
        ]
        for extra in request.headers where !["authorization", "api-id", "content-type", "appkey", "appsecret", "secretkey"].contains(extra.name.lowercased()) {
            headers.append((extra.name, extra.value))
        }
        return try await transport.perform(
            provider: .kiwoom, method: request.method,
            url: HTTPTransport.url(base: account.baseURL, path: request.path, query: request.query),
            headers: headers, body: request.body, timeout: timeout
        )
    }

    public func failure(in response: BrokerResponse) -> BrokerFailure? {
        KiwoomEnvelope.failure(httpStatus: response.status, body: try? JSONParser.parse(response.body))
    }

    public func nextPage(of request: BrokerRequest, after response: BrokerResponse) -> BrokerRequest? {
        guard response.header("cont-yn")?.uppercased() == "Y", let key = response.header("next-key"), !key.isEmpty else { return nil }
        var next = request
        next.headers.removeAll { ["cont-yn", "next-key"].contains($0.name.lowercased()) }
        next.headers.append(.init("cont-yn", "Y"))
        next.headers.append(.init("next-key", key))
        return next
    }

    private func post(_ account: BrokerAccount, _ path: String, _ body: String) async throws -> BrokerResponse {
        try await transport.perform(
            provider: .kiwoom, method: "POST", url: HTTPTransport.url(base: account.baseURL, path: path, query: []),
            headers: [("content-type", "application/json;charset=UTF-8")], body: Array(body.utf8), timeout: authTimeout
        )
    }
}
