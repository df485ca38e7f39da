import Foundation

/// Counts arrivals per key over a rolling window, as a broker does: an arrival is admitted when fewer than
/// `limit` admitted arrivals of the same key fall within the `window` ending at it. Refused arrivals are
/// not counted. Arrival instants may come slightly out of order (each is its receive time plus injected
/// network latency), so the log is kept sorted.
struct ArrivalWindow {
    private var arrivals: [String: [ContinuousClock.Instant]] = [:]

    mutating func admit(_ key: String, limit: Int, window: Duration, now: ContinuousClock.Instant) -> Bool {
        var times = arrivals[key, default: []]
        // Forget what no future decision can need (allowing for arrivals up to a window out of order).
        if let newest = times.last {
            let horizon = max(newest, now) - window - window
            if let keep = times.firstIndex(where: { $0 > horizon }) {
                if keep > 0 { times.removeFirst(keep) }
            } else {
                times.removeAll(keepingCapacity: true)
            }
        }
        let position = times.lastIndex(where: { $0 <= now }).map { $0 + 1 } ?? 0
        let start = now - window
        var inWindow = 0
        var index = position - 1
        while index >= 0, times[index] > start {
            inWindow += 1
            index -= 1
        }
        guard inWindow < limit else {
            if ProcessInfo.processInfo.environment["MOCK_DEBUG_WINDOWS"] != nil {
                let base = times[max(0, position - limit)]
                let offsets = times[max(0, position - limit)..<position].map { Int(($0 - base) / .milliseconds(1)) }
                FileHandle.standardError.write(Data("VIOLATION \(key.prefix(12)) new at +\(Int((now - base) / .milliseconds(1))) ms; window: \(offsets)\n".utf8))
            }
            arrivals[key] = times
            return false
        }
        times.insert(now, at: position)
        arrivals[key] = times
        return true
    }
}
