/// Counter-based randomness: every value is a pure function of the seed and a key, so any part of the
/// simulated market can be computed on its own and always comes out the same.
public enum SeededRandom {
    /// SplitMix64's finaliser: a well-mixed 64-bit hash.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A hash of several keys.
    @inline(__always)
    public static func hash(_ a: UInt64, _ b: UInt64, _ c: UInt64 = 0, _ d: UInt64 = 0) -> UInt64 {
        mix(mix(mix(mix(a) ^ b) ^ c) ^ d)
    }

    /// A uniform value in [0, 1).
    @inline(__always)
    public static func unit(_ hash: UInt64) -> Double { Double(hash >> 11) * 0x1.0p-53 }

    /// An approximately standard normal value (Irwin–Hall of four uniforms, scaled).
    @inline(__always)
    public static func normal(_ hash: UInt64) -> Double {
        let a = Double(hash & 0xFFFF), b = Double((hash >> 16) & 0xFFFF)
        let c = Double((hash >> 32) & 0xFFFF), d = Double(hash >> 48)
        return ((a + b + c + d) / 65_536 - 2) * 1.732_050_8
    }
}

/// A seeded `RandomNumberGenerator` (SplitMix64).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SeededRandom.mix(state &- 0x9E37_79B9_7F4A_7C15)
    }
}
