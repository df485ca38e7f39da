import BrokerCore
import Foundation
import Synchronization

/// Wakes callers waiting for a task of this process to finish (others poll the queue).
///
/// Every waiter is registered under the lock before anything can resume it, and exactly one of `finish`,
/// the timeout or a cancellation removes it and resumes it. (It used to park in one child task and time out
/// in another: a timeout or cancellation that ran before the waiter registered left it parked for ever, and
/// the task group around it never returned.)
final class CompletionCenter: Sendable {
    private enum Waiter {
        /// Registered, not parked yet.
        case pending
        /// Parked on its continuation.
        case parked(CheckedContinuation<Void, Never>)
        /// Woken (finished, timed out or cancelled) before it parked: it returns at once when it tries.
        case woken
    }

    private struct State {
        var waiters: [String: [UInt64: Waiter]] = [:]
        var next: UInt64 = 0
    }

    private let state = Mutex(State())
    private let clock: any HubClock

    init(clock: any HubClock = SystemClock()) {
        self.clock = clock
    }

    /// Waiters registered right now (tests).
    var waiting: Int { state.withLock { $0.waiters.values.reduce(0) { $0 + $1.count } } }

    /// Suspends until `finish(id)`, until `timeout` passes on the clock, or until the caller is cancelled,
    /// whichever first.
    func wait(for id: String, timeout: Duration) async {
        let token = state.withLock { state -> UInt64 in
            state.next &+= 1
            state.waiters[id, default: [:]][state.next] = .pending
            return state.next
        }
        let clock = self.clock
        let timer = Task {
            do { try await clock.sleep(for: timeout) } catch { return }
            self.wake(id, token)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    guard case .pending = state.waiters[id]?[token], !Task.isCancelled else { return true }
                    state.waiters[id]?[token] = .parked(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.wake(id, token)
        }
        timer.cancel()
        state.withLock { state in
            state.waiters[id]?[token] = nil
            if state.waiters[id]?.isEmpty == true { state.waiters[id] = nil }
        }
    }

    /// Wakes every waiter of `id`.
    func finish(_ id: String) {
        let parked = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard let waiters = state.waiters[id] else { return [] }
            var parked: [CheckedContinuation<Void, Never>] = []
            for (token, waiter) in waiters {
                if case .parked(let continuation) = waiter { parked.append(continuation) }
                state.waiters[id]?[token] = .woken
            }
            return parked
        }
        for continuation in parked { continuation.resume() }
    }

    /// Wakes one waiter: resumes it when parked, or makes it return at once when it parks.
    private func wake(_ id: String, _ token: UInt64) {
        let parked = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiters[id]?[token] else { return nil }
            state.waiters[id]?[token] = .woken
            if case .parked(let continuation) = waiter { return continuation }
            return nil
        }
        parked?.resume()
    }
}
