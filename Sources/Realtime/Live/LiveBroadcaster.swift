import Metrics
import Synchronization

/// In-process live fan-out: every subscriber whose pattern matches an event's topic gets it through its own
/// bounded `AsyncStream` (newest kept, oldest dropped and counted), so a slow subscriber never blocks
/// publishers.
public final class LiveBroadcaster: Sendable {
    private struct Subscriber {
        var pattern: LivePattern
        var continuation: AsyncStream<RealtimeEvent>.Continuation
    }

    private struct State {
        var subscribers: [UInt64: Subscriber] = [:]
        var next: UInt64 = 0
        var finished = false
    }

    private let state = Mutex(State())
    private let bufferSize: Int
    private let dropped: Counter

    /// - Parameters:
    ///   - bufferSize: events buffered per subscriber before the oldest are dropped.
    ///   - bus: the `bus` dimension of `brokerhub_bus_live_dropped_total`.
    public init(bufferSize: Int = 4096, bus: String) {
        self.bufferSize = max(1, bufferSize)
        dropped = Counter(label: "brokerhub_bus_live_dropped_total", dimensions: [("bus", bus)])
    }

    /// Number of live subscribers.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// A stream of the events whose topic matches `pattern` from now on; it ends on `finish()` or when the
    /// consumer stops iterating.
    public func subscribe(_ pattern: LivePattern) -> AsyncStream<RealtimeEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: RealtimeEvent.self, bufferingPolicy: .bufferingNewest(bufferSize))
        let id: UInt64? = state.withLock { state in
            guard !state.finished else { return nil }
            state.next += 1
            state.subscribers[state.next] = Subscriber(pattern: pattern, continuation: continuation)
            return state.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Hands events to every matching subscriber.
    public func broadcast(_ events: some Sequence<RealtimeEvent>) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        guard !subscribers.isEmpty else { return }
        var drops = 0
        for event in events {
            let topic = event.liveTopic
            for subscriber in subscribers where subscriber.pattern.matches(topic) {
                if case .dropped = subscriber.continuation.yield(event) { drops += 1 }
            }
        }
        if drops > 0 { dropped.increment(by: drops) }
    }

    /// Ends every stream; later subscriptions end at once.
    public func finish() {
        let subscribers = state.withLock { state in
            state.finished = true
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.continuation.finish() }
    }
}
