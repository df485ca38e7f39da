import Synchronization

/// One gateway client's bounded queue of frames to send, between the upstream sessions that fill it and the
/// client's writer that drains it. A slow client never slows anyone else: when the queue is full the oldest
/// frame is dropped and counted, the client is told once per drain (`notice`), and after `maxDrops` drops in
/// all it is disconnected. Replies to the client's own requests (`reply`) are never dropped.
final class ClientOutbox: Sendable {
    /// What a push did.
    enum Push: Equatable {
        case queued
        /// The oldest frame made room.
        case droppedOldest
        /// Too many drops: the outbox is closed and the client is to be disconnected.
        case overflowed
        /// Already closed.
        case closed
    }

    /// What the writer gets from `next`.
    struct Batch: Sendable {
        var frames: [String]
        /// Frames dropped since the previous batch (the writer tells the client).
        var dropped: Int
    }

    private struct State {
        /// Data frames (dropped oldest first when full).
        var frames: [String] = []
        /// Replies, apart: never dropped, never counted against the capacity.
        var replies: [String] = []
        var head = 0
        var droppedSinceBatch = 0
        var droppedTotal = 0
        var closedFor: String?
        var waiter: CheckedContinuation<Void, Never>?

        var count: Int { frames.count - head }

        var hasWork: Bool { count > 0 || !replies.isEmpty || droppedSinceBatch > 0 }
        /// Replies first (an answer goes ahead of the frames queued beside it), then the data frames in order.
        mutating func popAll() -> [String] {
            var out = replies
            out += head == 0 ? frames : Array(frames[head...])
            replies.removeAll(keepingCapacity: true)
            frames.removeAll(keepingCapacity: true)
            head = 0
            return out
        }
    }

    let capacity: Int
    let maxDrops: Int
    private let state = Mutex(State())

    init(capacity: Int, maxDrops: Int) {
        self.capacity = max(1, capacity)
        self.maxDrops = max(0, maxDrops)
    }

    /// Queues a data frame, dropping the oldest when full.
    func push(_ frame: String) -> Push {
        let (result, waiter) = state.withLock { state -> (Push, CheckedContinuation<Void, Never>?) in
            guard state.closedFor == nil else { return (.closed, nil) }
            var result = Push.queued
            if state.count >= capacity {
                state.head += 1
                state.droppedSinceBatch += 1
                state.droppedTotal += 1
                result = .droppedOldest
                if state.droppedTotal > maxDrops {
                    state.closedFor = "slow client: \(state.droppedTotal) frames dropped"
                    state.frames.removeAll()
                    state.replies.removeAll()
                    state.head = 0
                    state.droppedSinceBatch = 0
                    result = .overflowed
                }
                if result != .overflowed, state.head > 4_096, state.head * 2 > state.frames.count {
                    state.frames.removeFirst(state.head)
                    state.head = 0
                }
            }
            if result != .overflowed { state.frames.append(frame) }
            let waiter = state.waiter
            state.waiter = nil
            return (result, waiter)
        }
        waiter?.resume()
        return result
    }

    /// Queues a reply to the client's own request (never dropped, not counted against the capacity).
    func reply(_ frame: String) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.closedFor == nil else { return nil }
            state.replies.append(frame)
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Everything queued, waiting while nothing is; nil once closed (what was queued before a plain close is
    /// handed out first; an overflow discards it).
    func next() async -> Batch? {
        while true {
            let (batch, closed) = state.withLock { state -> (Batch?, Bool) in
                if state.hasWork {
                    let batch = Batch(frames: state.popAll(), dropped: state.droppedSinceBatch)
                    state.droppedSinceBatch = 0
                    return (batch, false)
                }
                return (nil, state.closedFor != nil)
            }
            if let batch { return batch }
            if closed { return nil }
            await waitForWork()
        }
    }

    private func waitForWork() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.hasWork || state.closedFor != nil { return true }
                state.waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Closes the outbox (the client is gone or is being disconnected); the writer's `next` ends.
    func close(reason: String) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.closedFor == nil { state.closedFor = reason }
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Why it closed, once it has.
    var closedFor: String? { state.withLock { $0.closedFor } }

    /// Frames dropped in all.
    var dropped: Int { state.withLock { $0.droppedTotal } }
}
