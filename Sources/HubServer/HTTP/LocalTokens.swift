import BrokerCore
import Foundation
import HubEngine
import Synchronization

/// Hub-local tokens handed to clients of the broker-native proxy: the real broker token never leaves the
/// hub. A local token only says "this caller asked the hub for a token"; it grants nothing at the broker.
public final class LocalTokens: Sendable {
    private let tokens = Mutex<[String: Date]>([:])
    private let clock: any HubClock
    public let lifetime: TimeInterval = 86_400

    init(clock: any HubClock) {
        self.clock = clock
    }

    /// A fresh local token and its expiry.
    public func issue() -> (value: String, expiresAt: Date) {
        let value = "bh_" + (0..<3).map { _ in UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }.joined()
        let expiry = clock.now.addingTimeInterval(lifetime)
        tokens.withLock { tokens in
            let now = clock.now
            tokens = tokens.filter { $0.value > now }
            tokens[value] = expiry
        }
        return (value, expiry)
    }

    public func isValid(_ value: String) -> Bool {
        tokens.withLock { ($0[value] ?? .distantPast) > clock.now }
    }

    public func revoke(_ value: String) {
        tokens.withLock { _ = $0.removeValue(forKey: value) }
    }
}
