import BrokerCore
import Synchronization

/// One token issuance that every caller asking for the same token at once waits for (single flight).
///
/// A waiter that is cancelled stops the issuance only when it was the last one still waiting: a client that
/// went away never costs the others their token, and a shutdown (every waiter cancelled) ends an issuance that
/// is sleeping out the broker's interval (KIS `EGW00133`, 61 s) at once instead of holding the drain.
final class SharedIssuance: Sendable {
    private let task: Task<IssuedToken, any Error>
    private let waiters = Mutex((waiting: 0, cancelled: 0))

    init(_ work: @escaping @Sendable () async throws -> IssuedToken) {
        task = Task(operation: work)
    }

    /// Whether every waiter so far was cancelled (a new caller starts a new issuance instead of joining).
    var isAbandoned: Bool { waiters.withLock { $0.waiting > 0 && $0.cancelled >= $0.waiting } }

    /// Waits for the token (or the issuance's error); a cancelled caller's wait ends with the issuance's end,
    /// which is at once when no one else waits.
    func value() async throws -> IssuedToken {
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
