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
        // Refuse when any window of length `window` that would contain this arrival already holds `limit`
        // admitted ones — including arrivals stamped later but processed earlier.
        var candidates = Array(times[max(0, position - limit)..<position].filter { $0 > now - window })
        candidates.append(now)
        for start in candidates {
            let end = start + window
            var inWindow = 1 // this arrival
            for time in times where time >= start && time < end { inWindow += 1 }
            if inWindow > limit {
                arrivals[key] = times
                return false
            }
        }
        times.insert(now, at: position)
        arrivals[key] = times
        return true
    }
}
