import BrokerClients
import BrokerCore
import BrokerWire
import Foundation
import HTTPTypes
import HubEngine
import Metrics
import Hummingbird
import NIOCore

/// The broker-native proxy: KIS-shaped routes under `/kis/…` and Kiwoom-shaped routes under `/kiwoom/…`
/// — and the brokers' own root paths (`/oauth2/…`, `/uapi/…`, `/api/dostk/…`), since clients such as
/// python-kis join absolute paths onto their base URL —
/// so an unmodified client library pointed at the hub shares the hub's token, budget, breaker and retries.
/// Token endpoints hand out hub-local tokens; the real broker token never leaves the hub. Calls are shared
/// like `/v1/execute`'s — a past history range from the cache, an identical call in flight coalesced — and
/// otherwise queued like any other work (priority from `X-BrokerHub-Priority`, default interactive).
///
/// Only what the catalogue knows is forwarded: a read transaction at its own path and method, the path
/// normalised (percent-decoding, `//`, a trailing `/`) before it is compared, and a path with a `.` or `..`
/// segment refused. Orders, `/uapi/hashkey`, unknown transactions and any other path (the mock's `/_mock/…`
/// included) never reach the broker: they are answered in the broker's own error shape and counted
/// (`brokerhub_proxy_refused_total`). The gateway retries what it forwards, which is safe only for reads.
struct ProxyRoutes: Sendable {
    let hub: Hub
    let localTokens: LocalTokens
    let configuration: HubConfiguration

    /// Headers a caller's request passes to the broker. Not `personalseckey`: a per-request secret would be
    /// stored with the queued task (issue #18 item 12).
    static let kisHeadersPassed: Set<String> = ["tr_cont", "custtype", "seq_no", "mac_address", "phone_number", "ip_addr", "gt_uid", "hashkey"]
    static let kisHeadersReturned = ["content-type", "tr_id", "tr_cont", "gt_uid"]
    static let kiwoomHeadersReturned = ["content-type", "api-id", "cont-yn", "next-key"]

    // MARK: KIS

    /// Serves a KIS path (`path` without any `/kis` prefix).
    func kis(_ request: Request, path: String) async throws -> Response {
        switch path {
        case "/oauth2/tokenP":
            let (token, expiry) = localTokens.issue()
            var object = JSONWriter.Object()
            object.add("access_token", token)
            object.add("access_token_token_expired", KST.dashedDateTime(expiry))
            object.add("token_type", "Bearer")
            object.add("expires_in", Int64(localTokens.lifetime))
            return .json(object.json)
        case "/oauth2/revokeP":
            if let body = try? await jsonBody(request), let token = body["token"]?.stringValue { localTokens.revoke(token) }
            return .json(#"{"code":200,"message":"접근토큰 폐기에 성공하였습니다"}"#)
        case "/oauth2/Approval" where configuration.gateway.contains(.kis):
            // With the realtime gateway, a hub-issued approval key: it opens the hub's WebSocket, whose sessions
            // are shared; the real key never leaves the hub.
            var object = JSONWriter.Object()
            object.add("approval_key", localTokens.issue().value)
            return .json(object.json)
        case "/oauth2/Approval":
            // The real approval key opens the key's single realtime session: whoever holds it can knock the
            // collector off (OPSP8996). Handed out only when the deployment asked for it.
            guard configuration.proxyApprovalKeys else {
                Counter(label: "brokerhub_proxy_refused_total", dimensions: [("provider", "kis"), ("reason", "approval_key")]).increment()
                var object = JSONWriter.Object()
                object.add("error_description", "BrokerHub does not hand out the real WebSocket approval key (it opens the app key's only realtime session); set BROKERHUB_PROXY_APPROVAL_KEYS=true to allow it")
                object.add("error_code", "BHPROXY403")
                return .json(object.json, status: .forbidden)
            }
            // The shared, cached approval key (never a second issuance per client).
            guard let account = hub.account(for: .kis) else { throw APIError(.invalidArgument, "no KIS account is configured") }
            let key = try await api { try await hub.approvalKey(for: account) }
            var object = JSONWriter.Object()
            object.add("approval_key", key)
            return .json(object.json)
        default:
            break
        }
        guard let trID = request.headers[HTTPField.Name("tr_id")!], !trID.isEmpty else {
            return Self.kisError(500, "OPSQ0002", "없는 서비스 코드 입니다.")
        }
        if let order = OrderCatalog.spec(provider: .kis, id: trID) {
            return try await kisOrder(request, spec: order, path: path)
        }
        guard let spec = Self.permitted(.kis, transaction: trID.uppercased(), method: request.method.rawValue, path: path) else {
            return Self.refused(.kis, transaction: trID, path: path)
        }
        guard bearer(request).map(localTokens.isValid) == true else {
            return Self.kisError(500, "EGW00121", "유효하지 않은 token 입니다.")
        }
        let headers = Self.kisPassedHeaders(request)
        let body = try await request.body.collect(upTo: 1 << 20)
        let brokerRequest = BrokerRequest(
            provider: .kis, transaction: spec.id, method: spec.method, path: spec.path,
            query: Self.query(request), headers: headers, body: Array(buffer: body)
        )
        return try await forward(brokerRequest, request: request, returned: Self.kisHeadersReturned)
    }

    // MARK: Kiwoom

    /// Serves a Kiwoom path (`path` without any `/kiwoom` prefix).
    func kiwoom(_ request: Request, path: String) async throws -> Response {
        switch path {
        case "/oauth2/token":
            let (token, expiry) = localTokens.issue()
            var object = JSONWriter.Object()
            object.add("expires_dt", KST.compactDateTime(expiry))
            object.add("token_type", "Bearer")
            object.add("token", token)
            object.add("return_code", Int64(0))
            object.add("return_msg", "정상적으로 처리되었습니다")
            return .json(object.json)
        case "/oauth2/revoke":
            if let body = try? await jsonBody(request), let token = body["token"]?.stringValue { localTokens.revoke(token) }
            return .json(#"{"return_code":0,"return_msg":"정상적으로 처리되었습니다"}"#)
        default:
            break
        }
        guard let apiID = request.headers[HTTPField.Name("api-id")!], !apiID.isEmpty else {
            return .json(#"{"return_msg":"잘못된 요청입니다[1501:API ID가 Null이거나 값이 없습니다]","return_code":1}"#)
        }
        guard let spec = Self.permitted(.kiwoom, transaction: apiID.lowercased(), method: request.method.rawValue, path: path) else {
            return Self.refused(.kiwoom, transaction: apiID, path: path)
        }
        guard bearer(request).map(localTokens.isValid) == true else {
            return .json(#"{"return_msg":"인증에 실패했습니다[8005:Token이 유효하지 않습니다]","return_code":3}"#)
        }
        var headers: [BrokerRequest.QueryItem] = []
        for name in ["cont-yn", "next-key"] {
            if let value = request.headers[HTTPField.Name(name)!], !value.isEmpty { headers.append(.init(name, value)) }
        }
        let body = try await request.body.collect(upTo: 1 << 20)
        let brokerRequest = BrokerRequest(
            provider: .kiwoom, transaction: spec.id, method: spec.method, path: spec.path,
            query: Self.query(request), headers: headers, body: Array(buffer: body)
        )
        return try await forward(brokerRequest, request: request, returned: Self.kiwoomHeadersReturned)
    }

    // MARK: Shared

    /// Queues the request, waits, and relays the broker's answer (or a broker-shaped error).
    func forward(_ brokerRequest: BrokerRequest, request: Request, returned: [String]) async throws -> Response {
        let priority = request.headers[HTTPField.Name("X-BrokerHub-Priority")!].flatMap(Priority.init(name:)) ?? .interactive
        let timeoutMs = request.headers[HTTPField.Name("X-BrokerHub-Timeout-Ms")!].flatMap(Int.init).map { min(max($0, 100), 600_000) } ?? 10_000
        let timeout = Duration.milliseconds(timeoutMs)
        let error: BrokerHubError
        do {
            return Self.relay(try await hub.forward(brokerRequest, priority: priority, timeout: timeout), returned: returned)
        } catch let failed as BrokerHubError {
            error = failed
        }
        guard let failure = error.failure, failure.httpStatus > 0 else { throw APIError(error) }
        // Relay the broker's own verdict in its own shape, so the client library reacts as it would.
        switch brokerRequest.provider {
        case .kis:
            return Self.kisError(failure.httpStatus, failure.code ?? "EGW00000", failure.message)
        case .kiwoom:
            var object = JSONWriter.Object()
            object.add("return_msg", failure.message)
            object.add("return_code", Int64(failure.returnCode ?? 1))
            return .json(object.json, status: HTTPResponse.Status(code: failure.httpStatus))
        }
    }

    /// A KIS cash order, when orders are switched on: validated, then sent now and at most once
    /// (`Hub.placeOrder`); the broker's answer is relayed as it came, an ambiguous one as HTTP 504
    /// `BHORDER504` ("outcome unknown: check the order book").
    func kisOrder(_ request: Request, spec: TransactionSpec, path: String) async throws -> Response {
        guard configuration.proxyOrders else {
            Counter(label: "brokerhub_proxy_refused_total", dimensions: [("provider", "kis"), ("reason", "order")]).increment()
            return Self.kisError(403, "BHPROXY403", "BrokerHub does not send orders unless BROKERHUB_PROXY_ORDERS=true; then each is sent at most once")
        }
        guard Self.normalizedPath(path) == spec.path, request.method == .post else { return Self.refused(.kis, transaction: spec.id, path: path) }
        guard bearer(request).map(localTokens.isValid) == true else {
            return Self.kisError(500, "EGW00121", "유효하지 않은 token 입니다.")
        }
        let body = try await request.body.collect(upTo: 1 << 16)
        guard let json = try? JSONParser.parse(Array(buffer: body)), let fields = json.objectValue else {
            return Self.kisError(400, "BHORDER400", "\(spec.id): the body must be a JSON object")
        }
        let missing = OrderCatalog.requiredFields.filter { (fields[$0]?.text ?? "").isEmpty }
        guard missing.isEmpty else {
            return Self.kisError(400, "BHORDER400", "\(spec.id): missing \(missing.joined(separator: ", "))")
        }
        let headers = Self.kisPassedHeaders(request)
        let brokerRequest = BrokerRequest(provider: .kis, transaction: spec.id, method: "POST", path: spec.path, query: [], headers: headers, body: Array(buffer: body))
        let timeoutMs = request.headers[HTTPField.Name("X-BrokerHub-Timeout-Ms")!].flatMap(Int.init).map { min(max($0, 100), 60_000) } ?? 10_000
        do {
            let answer = try await hub.placeOrder(brokerRequest, timeout: .milliseconds(timeoutMs))
            return Self.relay(answer, returned: Self.kisHeadersReturned)
        } catch let error as BrokerHubError where error.code == .outcomeUnknown {
            return Self.kisError(504, "BHORDER504", "order outcome unknown: \(error.message)")
        } catch let error as BrokerHubError {
            throw APIError(error)
        }
    }

    /// The caller's headers the broker gets (`kisHeadersPassed`).
    static func kisPassedHeaders(_ request: Request) -> [BrokerRequest.QueryItem] {
        request.headers.filter { kisHeadersPassed.contains($0.name.canonicalName) }.map { .init($0.name.canonicalName, $0.value) }
    }

    /// The broker's answer as it came: status, body and the `returned` headers.
    static func relay(_ page: BrokerResponse, returned: [String]) -> Response {
        var headers = HTTPFields()
        for name in returned {
            if let value = page.header(name), let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        if headers[.contentType] == nil { headers[.contentType] = "application/json; charset=utf-8" }
        return Response(status: HTTPResponse.Status(code: page.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: page.body)))
    }

    func bearer(_ request: Request) -> String? {
        guard let value = request.headers[.authorization] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        return parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]).trimmingCharacters(in: .whitespaces) : nil
    }

    static func query(_ request: Request) -> [BrokerRequest.QueryItem] {
        guard let query = request.uri.query, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { String($0).removingPercentEncoding ?? String($0) }
            return .init(parts[0], parts.count > 1 ? parts[1] : "")
        }
    }

    /// `path` as the broker would route it: percent-decoded, `//` collapsed, no trailing `/`; nil for a path
    /// that is not plain (a `.` or `..` segment, a backslash, a control character, undecodable escapes).
    static func normalizedPath(_ path: String) -> String? {
        guard let decoded = path.removingPercentEncoding, decoded.hasPrefix("/") else { return nil }
        guard !decoded.contains("\\"), !decoded.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: true)
        guard !segments.contains(where: { $0 == "." || $0 == ".." }) else { return nil }
        return "/" + segments.joined(separator: "/")
    }

    /// The catalogue's transaction `transaction` of `provider` when it is a read served at `path` (normalised)
    /// with `method`; nil for anything else.
    static func permitted(_ provider: Provider, transaction: String, method: String, path: String) -> TransactionSpec? {
        guard let normalized = normalizedPath(path), let spec = TransactionCatalog.spec(provider: provider, id: transaction),
              spec.path == normalized, spec.method == method.uppercased()
        else { return nil }
        return spec
    }

    /// A request the proxy does not forward, answered in the broker's own shape (HTTP 403) and counted. The
    /// transaction id is reported only when the catalogue knows it (a caller-chosen label would grow `/metrics`).
    static func refused(_ provider: Provider, transaction: String, path: String) -> Response {
        let known = TransactionCatalog.spec(provider: provider, id: provider == .kis ? transaction.uppercased() : transaction.lowercased()) != nil
        Counter(label: "brokerhub_proxy_refused_total", dimensions: [("provider", provider.rawValue), ("reason", known ? "path" : "transaction")]).increment()
        let shown = String(path.prefix(200))
        let message = "BrokerHub proxies only the read transactions of its catalogue (GET /v1/catalog) at their own paths; \(shown) is not forwarded (orders only when BROKERHUB_PROXY_ORDERS=true, each sent at most once)"
        return brokerError(provider, status: 403, message: message)
    }

    /// An error in the broker's own shape: KIS `rt_cd`/`msg_cd` (`BHPROXY<status>`)/`msg1`, Kiwoom
    /// `return_code`/`return_msg`.
    static func brokerError(_ provider: Provider, status: Int, message: String) -> Response {
        switch provider {
        case .kis:
            return kisError(status, "BHPROXY\(status)", message)
        case .kiwoom:
            var object = JSONWriter.Object()
            object.add("return_msg", message)
            object.add("return_code", Int64(2))
            return .json(object.json, status: HTTPResponse.Status(code: status))
        }
    }

    /// Whose broker-native path this is (`/kis/…`, `/uapi/…`, KIS's `/oauth2/…`; `/kiwoom/…`, `/api/dostk/…`,
    /// Kiwoom's `/oauth2/token` and `/oauth2/revoke`), nil for the hub's own routes.
    static func provider(ofPath path: String) -> Provider? {
        if path.hasPrefix("/kis/") || path.hasPrefix("/uapi/") { return .kis }
        if path.hasPrefix("/kiwoom/") || path.hasPrefix("/api/dostk/") { return .kiwoom }
        guard path.hasPrefix("/oauth2/") else { return nil }
        return ["/oauth2/token", "/oauth2/revoke"].contains(path) ? .kiwoom : .kis
    }

    static func kisError(_ status: Int, _ code: String, _ message: String) -> Response {
        var object = JSONWriter.Object()
        object.add("rt_cd", "1")
        object.add("msg_cd", code)
        object.add("msg1", message)
        return .json(object.json, status: HTTPResponse.Status(code: status))
    }
}
