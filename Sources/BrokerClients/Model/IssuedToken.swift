import Foundation

/// A token as issued by a broker (access token or KIS WebSocket approval key).
public struct IssuedToken: Sendable, Hashable, Codable, CustomStringConvertible {
    public var value: String
    public var expiresAt: Date
    public var issuedAt: Date

    public init(value: String, expiresAt: Date, issuedAt: Date) {
        self.value = value
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
    }

    /// Never shows the value.
    public var description: String { "IssuedToken(expires \(expiresAt), issued \(issuedAt))" }
}

/// Which of an account's tokens.
public enum TokenKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// REST access token.
    case access
    /// KIS WebSocket approval key.
    case approval
}
