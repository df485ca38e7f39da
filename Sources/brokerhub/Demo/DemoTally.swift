import Foundation
import Synchronization

/// What the demo's callers saw: outcomes by cause and latencies.
final class DemoTally: Sendable {
    private struct State {
        var outcomes: [String: Int] = [:]
        var latencies: [Double] = []
        var jobsSubmitted = 0
        var jobsFinished = 0
    }

    private let state = Mutex(State())

    func record(_ outcome: String, seconds: Double) {
        state.withLock { state in
            state.outcomes[outcome, default: 0] += 1
            if outcome == "ok" { state.latencies.append(seconds) }
        }
    }

    func jobSubmitted() { state.withLock { $0.jobsSubmitted += 1 } }
    func jobFinished() { state.withLock { $0.jobsFinished += 1 } }

    var outcomes: [String: Int] { state.withLock { $0.outcomes } }
    var total: Int { state.withLock { $0.outcomes.values.reduce(0, +) } }
    var succeeded: Int { state.withLock { $0.outcomes["ok"] ?? 0 } }
    var jobs: (submitted: Int, finished: Int) { state.withLock { ($0.jobsSubmitted, $0.jobsFinished) } }

    /// The `fraction` quantile of successful request latencies, in milliseconds.
    func percentile(_ fraction: Double) -> Double {
        let sorted = state.withLock { $0.latencies }.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction))] * 1000
    }
}

/// Send-rate samples taken while the circuit was closed.
final class DemoSamples: Sendable {
    private let values = Mutex<[Double]>([])

    func add(_ value: Double) { values.withLock { $0.append(value) } }

    var count: Int { values.withLock { $0.count } }

    var median: Double {
        let sorted = values.withLock { $0 }.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
