import BrokerCore
import Foundation
import Synchronization

/// A clock that moves only when told to; sleepers wake when `advance` passes their instant.
public final class ManualClock: HubClock {
    private struct Sleeper {
        var until: Date
        var continuation: CheckedContinuation<Void, any Error>
    }

    private let state: Mutex<(now: Date, sleepers: [UInt64: Sleeper], next: UInt64)>

    public init(start: Date = Date(timeIntervalSince1970: 1_757_289_600)) {
        state = Mutex((start, [:], 0))
    }

    public var now: Date { state.withLock { $0.now } }

    /// Sleepers currently waiting.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until instant: Date) async throws {
        let id = state.withLock { state -> UInt64 in
            state.next += 1
            return state.next
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { state -> Bool in
                    if instant <= state.now || Task.isCancelled { return true }
                    state.sleepers[id] = Sleeper(until: instant, continuation: continuation)
                    return false
                }
                if resumeNow {
                    if Task.isCancelled { continuation.resume(throwing: CancellationError()) } else { continuation.resume() }
                }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose instant has come.
    public func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now.addingTimeInterval(duration.timeInterval)
            let now = state.now
            let due = state.sleepers.filter { $0.value.until <= now }
            for key in due.keys { state.sleepers.removeValue(forKey: key) }
            return Array(due.values)
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}


