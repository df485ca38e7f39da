import Foundation
import GRDB
import Logging
import Synchronization

/// The journal's live fan-out: follows `bus_events` from the position it started at and hands every new event to
/// the bus's `LiveBroadcaster`, so listeners get what any process appends to the same journal file, not only what
/// this instance publishes (the `brokerhub alerts` process and the hub's `/v1/stream` read a journal the
/// collector writes). Woken at once by this process's publishes and by polling (`pollInterval`) for other
/// processes'. It runs only while someone listens: started by the first `live` call, it stops when the last
/// listener has gone (the next `live` starts it again from the journal's end) and when the bus closes.
final class JournalLiveTail: Sendable {
    private enum State {
        case idle
        case following(Task<Void, Never>)
        case closed
    }

    private let state = Mutex(State.idle)
    private let database: DatabasePool
    private let signal: BusSignal
    private let broadcaster: LiveBroadcaster
    private let pollInterval: Duration
    private let logger: Logger
    /// Rows read per query: a burst larger than this is followed in several reads.
    private let batch = 2_048

    init(database: DatabasePool, signal: BusSignal, broadcaster: LiveBroadcaster, pollInterval: Duration, logger: Logger) {
        self.database = database
        self.signal = signal
        self.broadcaster = broadcaster
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// Makes sure the tail runs; a tail that is not running yet starts after the journal's current last event.
    func ensureFollowing() async throws {
        guard case .idle = state.withLock({ $0 }) else { return }
        let end = try await database.read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM bus_events") ?? 0 }
        state.withLock { state in
            guard case .idle = state else { return }
            state = .following(Task { [self] in await follow(from: end) })
        }
    }

    /// Stops the tail for good (the bus is closing).
    func close() {
        let previous = state.withLock { state -> State in
            defer { state = .closed }
            return state
        }
        if case .following(let task) = previous { task.cancel() }
    }

    private func follow(from start: Int64) async {
        var position = start
        while !Task.isCancelled {
            let seen = signal.generation
            if broadcaster.subscriberCount == 0, stopIfUnheard() { return }
            let rows: [(Int64, Data)]
            do {
                rows = try await database.read { [batch, position] db in
                    try Row.fetchAll(db, sql: "SELECT seq, body FROM bus_events WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [position, batch])
                        .map { ($0[0], $0[1]) }
                }
            } catch {
                logger.warning("journal live tail could not read", metadata: ["bus.error": "\(error)"])
                await signal.wait(after: seen, timeout: .seconds(1))
                continue
            }
            guard let last = rows.last else {
                await signal.wait(after: seen, timeout: pollInterval)
                continue
            }
            position = last.0
            var events: [RealtimeEvent] = []
            events.reserveCapacity(rows.count)
            for (_, body) in rows {
                if let event = try? RealtimeEventCodec.decode(body) { events.append(event) }
            }
            broadcaster.broadcast(events)
        }
    }

    /// With no listener left the tail goes idle (unless the bus closed meanwhile); true when it did.
    private func stopIfUnheard() -> Bool {
        state.withLock { state in
            guard broadcaster.subscriberCount == 0 else { return false }
            if case .following = state { state = .idle }
            return true
        }
    }
}
