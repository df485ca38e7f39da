import BrokerCore
import BrokerWire
import Foundation

extension MockBroker {
    /// The standard KIS error envelope.
    func kisError(_ status: Int, code: String, message: String, returnCode: String = "1") -> MockResponse {
        var object = JSONWriter.Object()
        object.add("rt_cd", returnCode)
        object.add("msg_cd", code)
        object.add("msg1", message)
        return .json(status, object.json)
    }

    /// The OAuth error shape KIS uses on its token endpoints.
    func kisOAuthError(_ status: Int, code: String, message: String) -> MockResponse {
        var object = JSONWriter.Object()
        object.add("error_description", message)
        object.add("error_code", code)
        return .json(status, object.json)
    }

    /// `POST /oauth2/tokenP`: 24 h tokens, the same token within 6 h, at most one answer per minute per key.
    func kisIssueToken(_ request: MockRequest) -> MockResponse {
        stats.request(.kis, "tokenP")
        guard let body = jsonBody(request) else {
            return kisOAuthError(400, code: "EGW00002", message: "요청 본문이 올바르지 않습니다.")
        }
        guard body["grant_type"]?.stringValue == "client_credentials" else {
            return kisOAuthError(403, code: "EGW00205", message: "credentials_type이 유효하지 않습니다.(grant_type)")
        }
        guard let appKey = body["appkey"]?.stringValue, let key = configuration.credentials.key(provider: .kis, appKey: appKey) else {
            stats.error(.kis, "EGW00103")
            return kisOAuthError(403, code: "EGW00103", message: "유효하지 않은 AppKey입니다.")
        }
        guard body["appsecret"]?.stringValue == key.secret else {
            stats.error(.kis, "EGW00105")
            return kisOAuthError(403, code: "EGW00105", message: "유효하지 않은 AppSecret입니다.")
        }
        let now = Date()
        let lifetime = faults.tokenLifetimeSeconds ?? configuration.kisTokenLifetime.timeInterval
        let result = tokens.issue(
            provider: .kis, appKey: appKey, now: now, lifetime: lifetime,
            sameTokenWindow: configuration.kisSameTokenWindow.timeInterval,
            minimumInterval: configuration.kisTokenIssueInterval.timeInterval, reuseWhileValid: false
        )
        let token: TokenRegistry.Token
        switch result {
        case .tooFrequent:
            stats.update(.kis) { $0.tokenIssueRejected += 1 }
            stats.error(.kis, "EGW00133")
            return kisOAuthError(403, code: "EGW00133", message: "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)")
        case .issued(let issued):
            stats.update(.kis) { $0.tokensIssued += 1 }
            token = issued
        case .reused(let reused):
            stats.update(.kis) { $0.tokensReused += 1 }
            token = reused
        }
        var object = JSONWriter.Object()
        object.add("access_token", token.value)
        object.add("access_token_token_expired", KST.dashedDateTime(token.expiresAt))
        object.add("token_type", "Bearer")
        object.add("expires_in", Int64(max(0, token.expiresAt.timeIntervalSince(now)).rounded()))
        return .json(200, object.json)
    }

    /// `POST /oauth2/revokeP`.
    func kisRevokeToken(_ request: MockRequest) -> MockResponse {
        stats.request(.kis, "revokeP")
        guard let body = jsonBody(request), let appKey = body["appkey"]?.stringValue,
              let key = configuration.credentials.key(provider: .kis, appKey: appKey), body["appsecret"]?.stringValue == key.secret else {
            return kisOAuthError(403, code: "EGW00103", message: "유효하지 않은 AppKey입니다.")
        }
        guard let token = body["token"]?.stringValue, tokens.revoke(token) else {
            return kisOAuthError(403, code: "EGW00122", message: "token을 찾을 수 없습니다.")
        }
        var object = JSONWriter.Object()
        object.add("code", Int64(200))
        object.add("message", "접근토큰 폐기에 성공하였습니다")
        return .json(200, object.json)
    }

    /// `POST /oauth2/Approval`: a WebSocket approval key (the secret field is `secretkey`), at most one per app
    /// key per `kisApprovalIssueInterval` (KIS: 1 per second); faster requests get KIS's rate-limit answer,
    /// HTTP 500 `EGW00201` (the sheet gives the limit, not a code of its own).
    func kisApprovalKey(_ request: MockRequest) -> MockResponse {
        stats.request(.kis, "Approval")
        guard let body = jsonBody(request), let appKey = body["appkey"]?.stringValue,
              let key = configuration.credentials.key(provider: .kis, appKey: appKey) else {
            return kisOAuthError(403, code: "EGW00103", message: "유효하지 않은 AppKey입니다.")
        }
        guard body["secretkey"]?.stringValue == key.secret else {
            return kisOAuthError(403, code: "EGW00105", message: "유효하지 않은 AppSecret입니다.")
        }
        guard let approval = tokens.approvalKey(appKey: appKey, now: Date(), minimumInterval: configuration.kisApprovalIssueInterval.timeInterval) else {
            stats.update(.kis) { $0.approvalKeysRejected += 1 }
            stats.error(.kis, "EGW00201")
            return kisError(500, code: "EGW00201", message: "초당 거래건수를 초과하였습니다.")
        }
        stats.update(.kis) { $0.approvalKeysIssued += 1 }
        var object = JSONWriter.Object()
        object.add("approval_key", approval)
        return .json(200, object.json)
    }

    /// `POST /uapi/hashkey`: echoes the body with a hash.
    func kisHashKey(_ request: MockRequest) -> MockResponse {
        stats.request(.kis, "hashkey")
        guard let appKey = request.header("appkey"), let key = configuration.credentials.key(provider: .kis, appKey: appKey),
              request.header("appsecret") == key.secret else {
            return kisError(500, code: "EGW00103", message: "유효하지 않은 AppKey입니다.")
        }
        guard let body = try? JSONParser.parse(request.body) else {
            return kisError(400, code: "EGW00002", message: "요청 본문이 올바르지 않습니다.")
        }
        let hash = SeededRandomText.hex(seed: SeededRandomText.stableHash(String(decoding: request.body, as: UTF8.self)), length: 64)
        var object = JSONWriter.Object()
        object.add("BODY", raw: JSONWriter.serialize(body))
        object.add("HASH", hash)
        return .json(200, object.json)
    }

    /// Checks a KIS quotation request's credentials, rate budget and token; an error answer when refused.
    func kisAuthorize(_ request: MockRequest, transaction: String) -> (key: MockCredentials.Key, failure: MockResponse?) {
        let placeholder = MockCredentials.Key(provider: .kis, appKey: "", secret: "")
        guard let appKey = request.header("appkey"), let key = configuration.credentials.key(provider: .kis, appKey: appKey) else {
            stats.error(.kis, "EGW00103")
            return (placeholder, kisError(500, code: "EGW00103", message: "유효하지 않은 AppKey입니다."))
        }
        var windows = [(key: "kis:s:\(appKey)", limit: key.kind == .real ? configuration.limits.kisRealPerSecond : configuration.limits.kisPaperPerSecond, window: configuration.limits.window)]
        if let perMinute = configuration.limits.kisPerMinute {
            windows.append((key: "kis:m:\(appKey)", limit: perMinute, window: .seconds(60)))
        }
        guard admit(windows, at: request.arrival) else {
            stats.violation(.kis, appKey: appKey)
            stats.error(.kis, "EGW00201")
            return (key, kisError(500, code: "EGW00201", message: "초당 거래건수를 초과하였습니다."))
        }
        guard request.header("appsecret") == key.secret else {
            stats.error(.kis, "EGW00105")
            return (key, kisError(500, code: "EGW00105", message: "유효하지 않은 AppSecret입니다."))
        }
        guard let authorization = request.header("authorization"), !authorization.isEmpty else {
            stats.error(.kis, "EGW00121")
            return (key, kisError(500, code: "EGW00121", message: "유효하지 않은 token 입니다."))
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            stats.error(.kis, "EGW00205")
            return (key, kisError(500, code: "EGW00205", message: "credentials_type이 유효하지 않습니다.(Bearer)"))
        }
        switch tokens.validate(String(parts[1]).trimmingCharacters(in: .whitespaces), provider: .kis, now: Date()) {
        case .valid(let token) where token.appKey == appKey: break
        case .valid, .invalid:
            stats.error(.kis, "EGW00121")
            return (key, kisError(500, code: "EGW00121", message: "유효하지 않은 token 입니다."))
        case .expired:
            stats.error(.kis, "EGW00123")
            return (key, kisError(500, code: "EGW00123", message: "기간이 만료된 token 입니다."))
        }
        guard let trID = request.header("tr_id"), trID.uppercased() == transaction else {
            stats.error(.kis, "OPSQ0002")
            return (key, kisError(500, code: "OPSQ0002", message: "없는 서비스 코드 입니다."))
        }
        return (key, nil)
    }
}


