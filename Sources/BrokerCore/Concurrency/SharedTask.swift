import Synchronization

/// Work that every caller asking for the same thing at once waits for (single flight): a token issuance, an
/// identical broker call in flight.
///
/// A waiter that is cancelled stops the work only when it was the last one still waiting: a caller that went
/// away never costs the others their result, while a shutdown (every waiter cancelled) ends work that is
/// sleeping or polling — KIS's 61 s `EGW00133` wait, a queued task's completion — at once instead of holding
/// the process's drain.
public final class SharedTask<Value: Sendable>: Sendable {
    private let task: Task<Value, any Error>
    private let waiters = Mutex((waiting: 0, cancelled: 0))

    /// Starts `work` at once, in its own task.
    public init(_ work: @escaping @Sendable () async throws -> Value) {
        task = Task(operation: work)
    }

    /// Whether every waiter so far was cancelled: a new caller should start new work instead of joining this.
    public var isAbandoned: Bool { waiters.withLock { $0.waiting > 0 && $0.cancelled >= $0.waiting } }

    /// Waits for the result (or the work's error). A cancelled caller's wait ends when the work ends — at once
    /// when no one else waits.
    public func value() async throws -> Value {
        waiters.withLock { $0.waiting += 1 }
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            let everyone = waiters.withLock { state -> Bool in
                state.cancelled += 1
                return state.cancelled >= state.waiting
            }
            if everyone { task.cancel() }
        }
    }
}
