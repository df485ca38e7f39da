/// Paces stream mode: how many records are due after some elapsed time at a rate, carrying fractions so the
/// long-run rate is exact. Catch-up after a slow write is capped at one second's worth.
struct StreamPacer: Sendable {
    private var carry = 0.0

    mutating func due(rate: Int, elapsed: Duration) -> Int {
        let exact = carry + Double(rate) * min(max(elapsed.timeInterval, 0), 1)
        let count = Int(exact)
        carry = exact - Double(count)
        return count
    }

    /// Splits `total` records over `parts` subscriptions as evenly as possible, the remainder going to the
    /// parts starting at `offset` (rotated by the caller so no subscription is favoured).
    static func shares(of total: Int, parts: Int, offset: Int) -> [Int] {
        guard parts > 0 else { return [] }
        let base = total / parts, extra = total % parts
        return (0..<parts).map { base + (($0 - offset % parts + parts) % parts < extra ? 1 : 0) }
    }
}
