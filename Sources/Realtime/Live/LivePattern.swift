/// A glob over live topics as Redis `PSUBSCRIBE` reads it, restricted to `*` (any run, also empty) and `?`
/// (exactly one character); everything else matches itself. `ticker.*` matches `ticker.005930`.
public struct LivePattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    private let pattern: [UInt8]

    public init(_ text: String) {
        self.text = text
        pattern = Array(text.utf8)
    }

    public var description: String { text }

    /// Whether `topic` matches (byte-wise, iterative backtracking over the last `*`).
    public func matches(_ topic: String) -> Bool {
        var topic = topic
        return topic.withUTF8 { matches(bytes: $0) }
    }

    private func matches(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let star = UInt8(ascii: "*"), any = UInt8(ascii: "?")
        var p = 0, t = 0
        var starAt = -1, resumeAt = 0
        while t < bytes.count {
            if p < pattern.count, pattern[p] == any || (pattern[p] != star && pattern[p] == bytes[t]) {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == star {
                starAt = p
                resumeAt = t
                p += 1
            } else if starAt >= 0 {
                p = starAt + 1
                resumeAt += 1
                t = resumeAt
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == star { p += 1 }
        return p == pattern.count
    }
}
