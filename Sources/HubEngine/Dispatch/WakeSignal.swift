import Synchronization

/// Wakes idle workers one at a time: `notify()` resumes the longest-waiting `wait`, or — when nobody waits —
/// is remembered so that the next `wait` returns at once (a worker that found the queue empty just before an
/// enqueue never sleeps through it). A waiter also returns when cancelled, and cancelling one waiter never
/// affects the others.
///
/// (An `AsyncStream` shared by the workers cannot do this: cancelling one consumer's `next()` finishes the
/// whole stream, after which every `next()` returns at once and idle workers spin.)
public final class WakeSignal: Sendable {
    private struct State {
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var next: UInt64 = 0
        var pending = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes one waiter, or the next one to wait.
    public func notify() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let oldest = state.waiters.keys.min() else {
                state.pending = true
                return nil
            }
            return state.waiters.removeValue(forKey: oldest)
        }
        waiter?.resume()
    }

    /// Waiters currently parked (for tests and metrics).
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Returns when notified or cancelled.
    public func wait() async {
        let id = state.withLock { state -> UInt64? in
            if state.pending {
                state.pending = false
                return nil
            }
            state.next &+= 1
            return state.next
        }
        guard let id else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                // Cancellation sets the flag before its handler takes the lock: checked under the lock, a
                // cancellation is either seen here or finds the registered waiter.
                let resumeNow = state.withLock { state -> Bool in
                    if Task.isCancelled { return true }
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
