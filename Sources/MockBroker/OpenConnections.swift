import NIOCore
import Synchronization

/// Every connection the mock has open (each is added when its request head is routed), so that stopping the
/// mock closes them as a broker going away does. Hummingbird's graceful shutdown waits for connections to
/// finish, and a WebSocket whose client stays connected never does: the demo's shutdown waited on one past
/// its deadline (and the process trapped) about one run in seven.
final class OpenConnections: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// Tracks `channel` until it closes (again for the same channel: nothing more).
    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let added = channels.withLock { channels -> Bool in
            guard channels[id] == nil else { return false }
            channels[id] = channel
            return true
        }
        guard added else { return }
        channel.closeFuture.whenComplete { [weak self] _ in self?.channels.withLock { _ = $0.removeValue(forKey: id) } }
    }

    var count: Int { channels.withLock { $0.count } }

    /// Closes every open connection `grace` from now (a response being written has that long to go out).
    func closeAll(after grace: TimeAmount) {
        for channel in channels.withLock({ Array($0.values) }) {
            channel.eventLoop.scheduleTask(in: grace) { channel.close(promise: nil) }
        }
    }
}
