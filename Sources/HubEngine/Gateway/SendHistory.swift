import Foundation

/// Sends per whole second over the last `capacity` seconds, in a ring: what the dashboard's budget chart
/// shows (the gateway keeps one per provider). Pure; recording and reading are O(1) and O(span).
public struct SendHistory: Sendable, Equatable {
    public let capacity: Int
    private var counts: [Int]
    /// The whole second (since 1970) of the newest slot.
    private var newest: Int64?

    public init(capacity: Int = 300) {
        precondition(capacity > 0, "a send history holds at least one second")
        self.capacity = capacity
        counts = Array(repeating: 0, count: capacity)
    }

    /// Counts one send at `instant`; one older than the history is ignored.
    public mutating func record(at instant: Date) {
        let second = Int64(instant.timeIntervalSince1970.rounded(.down))
        advance(to: second)
        guard let newest, second > newest - Int64(capacity) else { return }
        counts[slot(second)] += 1
    }

    /// Sends in each `bucket`-second interval of the last `span` seconds before `now`, oldest first (the
    /// current, unfinished second excluded; `span` is cut to the capacity).
    public func buckets(now: Date, span: Int = 300, bucket: Int = 5) -> [Int] {
        let end = Int64(now.timeIntervalSince1970.rounded(.down))  // exclusive
        let width = max(1, bucket)
        let count = max(1, min(span, capacity) / width)
        var result = Array(repeating: 0, count: count)
        guard let newest else { return result }
        for index in 0..<count {
            for offset in 0..<width {
                let second = end - Int64((count - index) * width) + Int64(offset)
                if second <= newest, second > newest - Int64(capacity) { result[index] += counts[slot(second)] }
            }
        }
        return result
    }

    private func slot(_ second: Int64) -> Int { Int(((second % Int64(capacity)) + Int64(capacity)) % Int64(capacity)) }

    /// Moves the ring forward to `second`, clearing the slots it passes over.
    private mutating func advance(to second: Int64) {
        guard let current = newest else {
            newest = second
            return
        }
        guard second > current else { return }
        let steps = min(Int64(capacity), second - current)
        for step in 1...steps { counts[slot(current + step)] = 0 }
        newest = second
    }
}
