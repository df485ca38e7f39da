import BrokerCore
import MockMarket

/// The app keys the mock broker accepts. Keys shaped like the real ones (KIS: 36-character app key,
/// 180-character secret), so unmodified clients that check lengths accept them.
public struct MockCredentials: Sendable, Hashable, Codable {
    /// Whether a key belongs to a real (실전) or paper (모의) account; paper keys get the paper rate limit.
    public enum AccountKind: String, Sendable, Hashable, Codable {
        case real, paper
    }

    public struct Key: Sendable, Hashable, Codable {
        public var provider: Provider
        public var appKey: String
        public var secret: String
        public var kind: AccountKind

        public init(provider: Provider, appKey: String, secret: String, kind: AccountKind = .real) {
            self.provider = provider
            self.appKey = appKey
            self.secret = secret
            self.kind = kind
        }
    }

    public var keys: [Key]

    public init(keys: [Key]) { self.keys = keys }

    public func key(provider: Provider, appKey: String) -> Key? {
        keys.first { $0.provider == provider && $0.appKey == appKey }
    }

    /// `count` keys per provider derived from `seed` (for demos and tests; never real credentials).
    public static func generated(seed: UInt64, count: Int = 3) -> MockCredentials {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        func text(_ length: Int, _ key: UInt64) -> String {
            var generator = SeededGenerator(seed: key)
            return String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
        }
        var keys: [Key] = []
        for index in 0..<count {
            let base = SeededRandom.hash(seed, 0x4B45_5953, UInt64(index))
            keys.append(Key(provider: .kis, appKey: "PS" + text(34, base), secret: text(180, base ^ 1), kind: index == count - 1 && count > 1 ? .paper : .real))
            keys.append(Key(provider: .kiwoom, appKey: text(43, base ^ 2), secret: text(43, base ^ 3)))
        }
        return MockCredentials(keys: keys)
    }
}
