import BrokerCore
import Synchronization

/// Why a session is being closed from outside.
enum SessionCloseReason: Sendable {
    /// Drop the connection without a close frame (fault injection).
    case abnormal
    /// Another login with the same app key took over (Kiwoom `R10001`).
    case replaced
}

/// Live realtime sessions: one per (provider, app key), as the brokers allow, each closable from outside
/// (runtime disconnect faults, a second login replacing the first).
final class SessionRegistry: Sendable {
    private struct State {
        var counter: UInt64 = 0
        var holders: [String: UInt64] = [:]
        var closers: [UInt64: @Sendable (SessionCloseReason) -> Void] = [:]
    }

    private let state = Mutex(State())

    /// Registers a new session with the way to close it abnormally; returns its id.
    func register(closer: @escaping @Sendable (SessionCloseReason) -> Void) -> UInt64 {
        state.withLock { state in
            state.counter += 1
            state.closers[state.counter] = closer
            return state.counter
        }
    }

    func unregister(_ session: UInt64) {
        state.withLock { state in
            state.closers[session] = nil
            state.holders = state.holders.filter { $0.value != session }
        }
    }

    /// Claims the key for `session` unless another live session holds it; returns the holder then.
    func claim(_ provider: Provider, appKey: String, session: UInt64, replace: Bool) -> UInt64? {
        state.withLock { state in
            let key = "\(provider.rawValue):\(appKey)"
            if let holder = state.holders[key], holder != session, state.closers[holder] != nil {
                guard replace else { return holder }
                state.holders[key] = session
                return holder
            }
            state.holders[key] = session
            return nil
        }
    }

    /// Closes one session abnormally.
    func close(_ session: UInt64, reason: SessionCloseReason) {
        let closer = state.withLock { $0.closers[session] }
        closer?(reason)
    }

    /// Closes every session abnormally; returns how many.
    func disconnectAll() -> Int {
        let closers = state.withLock { Array($0.closers.values) }
        for closer in closers { closer(.abnormal) }
        return closers.count
    }
}
