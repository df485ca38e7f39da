import BrokerCore
import Foundation

/// The brokers' answers to token requests, read: the failure envelope first, then the token and its expiry.
/// Pure (the clients send; this only reads bytes), so hostile answers are fuzzed here (`brokerhub-fuzz token`).
/// A lifetime beyond `IssuedToken.maximumLifetime` is clamped, never trusted.
public enum TokenAnswer {
    /// KIS `/oauth2/tokenP`: `access_token`, expiry from `access_token_token_expired` (KST) or `expires_in`.
    public static func kisAccessToken(status: Int, body: [UInt8], issuedAt: Date) throws -> IssuedToken {
        let json = try? JSONParser.parse(body)
        if let failure = KISEnvelope.failure(httpStatus: status, body: json) { throw BrokerHubError.broker(failure) }
        guard let token = json?["access_token"]?.stringValue, !token.isEmpty else {
            throw BrokerHubError.malformed("tokenP", field: "access_token", "missing")
        }
        let expiry = json?["access_token_token_expired"]?.stringValue.flatMap { KST.parseDashedDateTime($0) }
            ?? json?["expires_in"]?.intValue.map { issuedAt.addingTimeInterval(TimeInterval($0)) }
        guard let expiry else { throw BrokerHubError.malformed("tokenP", field: "access_token_token_expired", "missing or not YYYY-MM-DD HH:MM:SS") }
        return IssuedToken(value: token, expiresAt: expiry, issuedAt: issuedAt)
    }

    /// KIS `/oauth2/Approval`: `approval_key`, valid for 24 hours (the sheet; the answer carries no expiry).
    public static func kisApprovalKey(status: Int, body: [UInt8], issuedAt: Date) throws -> IssuedToken {
        let json = try? JSONParser.parse(body)
        if let failure = KISEnvelope.failure(httpStatus: status, body: json) { throw BrokerHubError.broker(failure) }
        guard let key = json?["approval_key"]?.stringValue, !key.isEmpty else {
            throw BrokerHubError.malformed("Approval", field: "approval_key", "missing")
        }
        return IssuedToken(value: key, expiresAt: issuedAt.addingTimeInterval(86_400), issuedAt: issuedAt)
    }

    /// Kiwoom `au10001`: `token`, expiry from `expires_dt` (KST: reading it as UTC is the classic 9-hour bug).
    public static func kiwoomAccessToken(status: Int, body: [UInt8], issuedAt: Date) throws -> IssuedToken {
        let json = try? JSONParser.parse(body)
        if let failure = KiwoomEnvelope.failure(httpStatus: status, body: json) { throw BrokerHubError.broker(failure) }
        guard let token = json?["token"]?.stringValue, !token.isEmpty else { throw BrokerHubError.malformed("au10001", field: "token", "missing") }
        guard let expiry = json?["expires_dt"]?.stringValue.flatMap({ KST.parseCompactDateTime($0) }) else {
            throw BrokerHubError.malformed("au10001", field: "expires_dt", "missing or not YYYYMMDDHHMMSS")
        }
        return IssuedToken(value: token, expiresAt: expiry, issuedAt: issuedAt)
    }
}
