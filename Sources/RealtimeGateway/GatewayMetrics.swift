import BrokerCore
import Metrics
import Synchronization

/// The gateway's figures, for `/metrics` (Prometheus) and the hub's status.
final class GatewayMetrics: Sendable {
    struct Counts: Sendable, Equatable {
        var framesSent: Int64 = 0
        var dropped: Int64 = 0
        var refused: Int64 = 0
        var full: Int64 = 0
        var slowDisconnects: Int64 = 0
    }

    private let counts = Mutex(Counts())
    private let sent: [Provider: Counter] = Dictionary(uniqueKeysWithValues: Provider.allCases.map {
        ($0, Counter(label: "brokerhub_gateway_frames_total", dimensions: [("provider", $0.rawValue)]))
    })
    private let droppedCounter = Counter(label: "brokerhub_gateway_dropped_total")
    private let slowCounter = Counter(label: "brokerhub_gateway_slow_disconnects_total")
    private let clientsGauge = Gauge(label: "brokerhub_gateway_clients")
    private let registrationsGauge = Gauge(label: "brokerhub_gateway_registrations")

    var snapshot: Counts { counts.withLock { $0 } }

    func delivered(_ frames: Int, dropped: Int, provider: Provider) {
        guard frames > 0 else { return }
        counts.withLock {
            $0.framesSent += Int64(frames - dropped)
            $0.dropped += Int64(dropped)
        }
        sent[provider]?.increment(by: frames - dropped)
        if dropped > 0 { droppedCounter.increment(by: dropped) }
    }

    func disconnectedSlow() {
        counts.withLock { $0.slowDisconnects += 1 }
        slowCounter.increment()
    }

    /// A client request answered with a refusal (bad input, unknown TR, wrong key, too many requests).
    func refused(_ provider: Provider, code: String) {
        counts.withLock { $0.refused += 1 }
        Counter(label: "brokerhub_gateway_refused_total", dimensions: [("provider", provider.rawValue), ("code", code)]).increment()
    }

    /// A subscribe no session had room for.
    func full(_ provider: Provider) {
        counts.withLock { $0.full += 1 }
        Counter(label: "brokerhub_gateway_capacity_full_total", dimensions: [("provider", provider.rawValue)]).increment()
    }

    func gauges(clients: Int, registrations: Int) {
        clientsGauge.record(clients)
        registrationsGauge.record(registrations)
    }
}
