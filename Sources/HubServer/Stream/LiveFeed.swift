import BrokerCore
import Metrics
import Realtime
import Synchronization

/// The hub's realtime front door: the pipeline bus's live fan-out (`EventBus.live`) as `/v1/stream` serves it, with
/// the count of connected clients and of events sent. Lossy by design, as the bus's live fan-out is: each client
/// has its own bounded buffer (the bus's live buffer), a slow one loses its oldest events
/// (`brokerhub_bus_live_dropped_total`) and never slows the others, the publishers or the archive path.
public final class LiveFeed: Sendable {
    /// What `/v1/status` shows of the stream.
    public struct Status: Sendable, Equatable {
        public var clients: Int
        public var eventsSent: Int64
        public var refused: Int64
    }

    private struct Counts {
        var clients = 0
        var sent: Int64 = 0
        var refused: Int64 = 0
    }

    private let bus: any EventBus
    private let counts = Mutex(Counts())
    private let clientsGauge = Gauge(label: "brokerhub_stream_clients")
    private let sentCounter = Counter(label: "brokerhub_stream_events_total")

    public init(bus: any EventBus) {
        self.bus = bus
    }

    public var status: Status {
        counts.withLock { Status(clients: $0.clients, eventsSent: $0.sent, refused: $0.refused) }
    }

    /// The live events matching the bus pattern `pattern`, from now on; the caller filters further and reports
    /// itself with `opened`/`sent`/`closed`.
    func events(pattern: String) async throws -> AsyncStream<RealtimeEvent> {
        try await bus.live(pattern: pattern)
    }

    func opened() {
        let clients = counts.withLock { counts in
            counts.clients += 1
            return counts.clients
        }
        clientsGauge.record(clients)
    }

    func sent(_ events: Int) {
        counts.withLock { $0.sent += Int64(events) }
        sentCounter.increment(by: events)
    }

    func closed() {
        let clients = counts.withLock { counts in
            counts.clients -= 1
            return counts.clients
        }
        clientsGauge.record(clients)
    }

    /// A stream request refused (bad filter); counted by the route.
    func refused(reason: String) {
        counts.withLock { $0.refused += 1 }
        Counter(label: "brokerhub_stream_refused_total", dimensions: [("reason", reason)]).increment()
    }
}
