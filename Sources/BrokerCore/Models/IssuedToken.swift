import Foundation

/// A token as issued by a broker (access token or KIS WebSocket approval key).
public struct IssuedToken: Sendable, Hashable, Codable, CustomStringConvertible {
    public var value: String
    public var expiresAt: Date
    public var issuedAt: Date

    /// The longest lifetime a broker's answer is believed for (a hostile or broken `expires_in` is clamped).
    public static let maximumLifetime: TimeInterval = 366 * 86_400

    /// `expiresAt` is clamped to `issuedAt … issuedAt + maximumLifetime`.
    public init(value: String, expiresAt: Date, issuedAt: Date) {
        self.value = value
        let latest = issuedAt.addingTimeInterval(Self.maximumLifetime)
        self.expiresAt = expiresAt.timeIntervalSince1970.isFinite ? max(issuedAt, min(latest, expiresAt)) : issuedAt
        self.issuedAt = issuedAt
    }

    /// Never shows the value.
    public var description: String { "IssuedToken(expires \(expiresAt), issued \(issuedAt))" }
}
