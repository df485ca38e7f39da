import BrokerCore
import BrokerWire
import Foundation

/// The KIS REST client: `/oauth2/tokenP`, `/oauth2/Approval`, `/oauth2/revokeP` and authenticated
/// quotation calls with `tr_cont` / `CTX_AREA_*` and date-window pagination.
public struct KISClient: BrokerClient {
    public let provider = Provider.kis
    public let transport: HTTPTransport
    /// Timeout of token and approval calls.
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
        body.add("appsecret", account.secret)
        let response = try await post(account, "/oauth2/tokenP", body.json)
        return try TokenAnswer.kisAccessToken(status: response.status, body: response.body, issuedAt: clock.now)
    }

    public func revokeToken(_ token: String, for account: BrokerAccount) async throws {
        var body = JSONWriter.Object()
        body.add("appkey", account.appKey)
        body.add("appsecret", account.secret)
        body.add("token", token)
        let response = try await post(account, "/oauth2/revokeP", body.json)
        if let failure = KISEnvelope.failure(httpStatus: response.status, body: try? JSONParser.parse(response.body)) {
            throw BrokerHubError.broker(failure)
        }
    }

    public func approvalKey(for account: BrokerAccount) async throws -> IssuedToken {
        var body = JSONWriter.Object()
        body.add("grant_type", "client_credentials")
        body.add("appkey", account.appKey)
        body.add("secretkey", account.secret)
        let response = try await post(account, "/oauth2/Approval", body.json)
        return try TokenAnswer.kisApprovalKey(status: response.status, body: response.body, issuedAt: clock.now)
    }

    public func send(_ request: BrokerRequest, account: BrokerAccount, token: String, timeout: Duration) async throws -> BrokerResponse {
        var headers = [
            ("content-type", "application/json; charset=utf-8"),
            ("authorization", "Bearer \(token)"),
            ("appkey", account.appKey),
            ("appsecret", account.secret),
            ("tr_id", request.transaction),
            ("custtype", "P"),
        ]
        for extra in request.headers where !["authorization", "appkey", "appsecret", "tr_id", "custtype", "content-type"].contains(extra.name.lowercased()) {
            headers.append((extra.name, extra.value))
        }
        if request.header("tr_cont") == nil { headers.append(("tr_cont", "")) }
        return try await transport.perform(
            provider: .kis, method: request.method,
            url: HTTPTransport.url(base: account.baseURL, path: request.path, query: request.query),
            headers: headers, body: request.body, timeout: timeout
        )
    }

    public func failure(in response: BrokerResponse) -> BrokerFailure? {
        KISEnvelope.failure(httpStatus: response.status, body: try? JSONParser.parse(response.body))
    }

    /// `tr_cont` F/M means more: continue with `CTX_AREA_*` keys from the body, or for
    /// FHKST03010100 (which has none) by moving the window's end before the oldest row.
    public func nextPage(of request: BrokerRequest, after response: BrokerResponse) -> BrokerRequest? {
        if let transaction = KISTransaction(rawValue: request.transaction), let size = transaction.minutePageSize {
            return Self.earlierMinutes(of: request, after: response, pageSize: size)
        }
        guard let more = response.header("tr_cont"), more == "F" || more == "M" else { return nil }
        guard let json = try? JSONParser.parse(response.body) else { return nil }
        var next = request
        next.headers.removeAll { $0.name.lowercased() == "tr_cont" }
        next.headers.append(.init("tr_cont", "N"))
        for suffix in ["100", "200"] {
            if let forward = json["ctx_area_fk\(suffix)"]?.stringValue, let backward = json["ctx_area_nk\(suffix)"]?.stringValue {
                next.query.removeAll { $0.name.uppercased().hasPrefix("CTX_AREA_") }
                next.query.append(.init("CTX_AREA_FK\(suffix)", forward))
                next.query.append(.init("CTX_AREA_NK\(suffix)", backward))
                return next
            }
        }
        guard request.transaction == "FHKST03010100",
              let rows = json["output2"]?.arrayValue,
              let oldest = rows.compactMap({ $0["stck_bsop_date"]?.stringValue.flatMap { KSTDate($0) } }).min(),
              let startIndex = next.query.firstIndex(where: { $0.name == "FID_INPUT_DATE_1" }),
              let endIndex = next.query.firstIndex(where: { $0.name == "FID_INPUT_DATE_2" }) else { return nil }
        let newEnd = oldest.adding(days: -1)
        let start = next.query[startIndex].value == "00000101" ? KSTDate(year: 1900, month: 1, day: 1)! : (KSTDate(next.query[startIndex].value) ?? newEnd)
        guard newEnd >= start else { return nil }
        next.query[endIndex].value = newEnd.compact
        return next
    }

    /// The anchor walk of the minute-candle TRs: a full page (`pageSize` rows, newest first) is followed by the
    /// rows at or before one second ahead of its oldest; a shorter page, or one that reached the session's
    /// first minute, is the last.
    static func earlierMinutes(of request: BrokerRequest, after response: BrokerResponse, pageSize: Int) -> BrokerRequest? {
        guard let json = try? JSONParser.parse(response.body), let rows = json["output2"]?.arrayValue, rows.count >= pageSize else { return nil }
        let seconds = rows.compactMap { $0["stck_cntg_hour"]?.stringValue.flatMap(NumberText.timeOfDay) }
        guard let oldest = seconds.min(), oldest > 9 * 3600, let anchor = request.query.firstIndex(where: { $0.name == "FID_INPUT_HOUR_1" }) else { return nil }
        var next = request
        next.query[anchor].value = KST.clock(oldest - 1, separator: "")
        return next
    }

    private func post(_ account: BrokerAccount, _ path: String, _ body: String) async throws -> BrokerResponse {
        try await transport.perform(
            provider: .kis, method: "POST", url: HTTPTransport.url(base: account.baseURL, path: path, query: []),
            headers: [("content-type", "application/json; charset=utf-8")], body: Array(body.utf8), timeout: authTimeout
        )
    }
}
