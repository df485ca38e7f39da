import Foundation

/// Which of an account's tokens.
public enum TokenKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// REST access token.
    case access
    /// KIS WebSocket approval key.
    case approval
}
