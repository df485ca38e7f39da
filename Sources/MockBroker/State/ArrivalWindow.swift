import Foundation

/// Counts arrivals per key over a rolling window, as a broker does: an arrival is admitted when fewer than
/// `limit` arrivals of the same key fall within the last `window`. Refused arrivals are not counted.
struct ArrivalWindow {
    private var arrivals: [String: [ContinuousClock.Instant]] = [:]

    mutating func admit(_ key: String, limit: Int, window: Duration, now: ContinuousClock.Instant) -> Bool {
        var times = arrivals[key, default: []]
        let horizon = now - window
        if let firstKept = times.firstIndex(where: { $0 > horizon }) {
            if firstKept > 0 { times.removeFirst(firstKept) }
        } else {
            times.removeAll(keepingCapacity: true)
        }
        guard times.count < limit else {
            arrivals[key] = times
            return false
        }
        times.append(now)
        arrivals[key] = times
        return true
    }
}
