import MockMarket

/// Random-looking text for tokens and keys.
enum SeededRandomText {
    static func text(seed: UInt64, length: Int, alphabet: [Character]) -> String {
        var generator = SeededGenerator(seed: seed)
        return String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }

    /// FNV-1a: stable across processes (unlike `hashValue`).
    static func stableHash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }

    static func hex(seed: UInt64, length: Int) -> String { text(seed: seed, length: length, alphabet: Array("0123456789abcdef")) }

    static func base64url(seed: UInt64, length: Int) -> String {
        text(seed: seed, length: length, alphabet: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
    }
}
