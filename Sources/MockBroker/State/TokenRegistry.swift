import BrokerCore
import Foundation
import Synchronization

/// Tokens the mock broker has issued, with the brokers' issuance rules.
final class TokenRegistry: Sendable {
    struct Token: Sendable {
        var value: String
        var appKey: String
        var provider: Provider
        var issuedAt: Date
        var expiresAt: Date
        var revoked = false
    }

    enum IssueResult {
        case issued(Token)
        case reused(Token)
        case tooFrequent
    }

    private struct State {
        var tokens: [String: Token] = [:]
        var latestByKey: [String: String] = [:]
        var lastIssueByKey: [String: Date] = [:]
        var approvalKeys: [String: String] = [:] // approval key → app key
        var lastApprovalByKey: [String: Date] = [:]
        var counter: UInt64 = 0
    }

    private let state = Mutex(State())
    private let seed: UInt64

    init(seed: UInt64) { self.seed = seed }

    /// Issues or re-hands a token. `sameTokenWindow` nil means a fresh token each time (Kiwoom hands back the
    /// current one while valid, which callers ask for with `reuseWhileValid`).
    func issue(
        provider: Provider, appKey: String, now: Date, lifetime: TimeInterval, sameTokenWindow: TimeInterval?,
        minimumInterval: TimeInterval?, reuseWhileValid: Bool
    ) -> IssueResult {
        state.withLock { state in
            let scoped = "\(provider.rawValue):\(appKey)"
            // The per-key interval applies to every answer, a handed-back token included.
            if let interval = minimumInterval, let last = state.lastIssueByKey[scoped], now.timeIntervalSince(last) < interval {
                return .tooFrequent
            }
            if let current = state.latestByKey[scoped].flatMap({ state.tokens[$0] }), !current.revoked, current.expiresAt > now {
                let withinWindow = sameTokenWindow.map { now.timeIntervalSince(current.issuedAt) < $0 } ?? false
                if withinWindow || reuseWhileValid {
                    state.lastIssueByKey[scoped] = now
                    return .reused(current)
                }
            }
            state.counter += 1
            let value = Self.tokenText(provider: provider, seed: seed, counter: state.counter, appKey: appKey)
            let token = Token(value: value, appKey: appKey, provider: provider, issuedAt: now, expiresAt: now.addingTimeInterval(lifetime))
            state.tokens[value] = token
            state.latestByKey[scoped] = value
            state.lastIssueByKey[scoped] = now
            return .issued(token)
        }
    }

    /// The token if it exists, is not revoked and has not expired.
    func validate(_ value: String, provider: Provider, now: Date) -> TokenCheck {
        state.withLock { state in
            guard let token = state.tokens[value], token.provider == provider, !token.revoked else { return .invalid }
            return token.expiresAt > now ? .valid(token) : .expired
        }
    }

    enum TokenCheck {
        case valid(Token)
        case expired
        case invalid
    }

    func revoke(_ value: String) -> Bool {
        state.withLock { state in
            guard state.tokens[value] != nil else { return false }
            state.tokens[value]?.revoked = true
            return true
        }
    }

    /// Makes every live token of a provider expire now (fault injection).
    func expireAll(provider: Provider, now: Date) -> Int {
        state.withLock { state in
            var count = 0
            for (value, token) in state.tokens where token.provider == provider && token.expiresAt > now {
                state.tokens[value]?.expiresAt = now
                count += 1
            }
            return count
        }
    }

    /// Forgets every KIS WebSocket approval key (sessions that present one are refused); returns how many.
    func expireApprovalKeys() -> Int {
        state.withLock { state in
            defer { state.approvalKeys.removeAll() }
            return state.approvalKeys.count
        }
    }

    /// A new KIS WebSocket approval key for `appKey`, or nil when the last one was issued less than `minimumInterval` ago.
    func approvalKey(appKey: String, now: Date, minimumInterval: TimeInterval) -> String? {
        state.withLock { state in
            if let last = state.lastApprovalByKey[appKey], now.timeIntervalSince(last) < minimumInterval { return nil }
            state.lastApprovalByKey[appKey] = now
            state.counter += 1
            let hash = SeededRandomText.hex(seed: seed ^ state.counter, length: 32)
            let key = "\(hash.prefix(8))-\(hash.dropFirst(8).prefix(4))-\(hash.dropFirst(12).prefix(4))-\(hash.dropFirst(16).prefix(4))-\(hash.dropFirst(20).prefix(12))"
            state.approvalKeys[key] = appKey
            return key
        }
    }

    func appKey(forApproval key: String) -> String? { state.withLock { $0.approvalKeys[key] } }

    static func tokenText(provider: Provider, seed: UInt64, counter: UInt64, appKey: String) -> String {
        let body = SeededRandomText.base64url(seed: seed ^ (counter &* 0x9E37_79B9) ^ SeededRandomText.stableHash(appKey), length: provider == .kis ? 300 : 86)
        return provider == .kis ? "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9." + body : body
    }
}
