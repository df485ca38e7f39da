import BrokerCore
import Metrics

/// The collector's swift-metrics instruments (`brokerhub_collector_*`).
struct CollectorMetrics: Sendable {
    func frame(_ provider: Provider) {
        Counter(label: "brokerhub_collector_frames_total", dimensions: [("provider", provider.rawValue)]).increment()
    }

    func records(_ provider: Provider, channel: String, count: Int) {
        Counter(label: "brokerhub_collector_records_total", dimensions: [("provider", provider.rawValue), ("channel", channel)]).increment(by: count)
    }

    func published(_ count: Int) {
        Counter(label: "brokerhub_collector_published_total").increment(by: count)
    }

    func publishError() {
        Counter(label: "brokerhub_collector_publish_errors_total").increment()
    }

    func malformed(_ provider: Provider, kind: String) {
        Counter(label: "brokerhub_collector_frames_malformed_total", dimensions: [("provider", provider.rawValue), ("kind", kind)]).increment()
    }

    func alert(_ kind: String) {
        Counter(label: "brokerhub_collector_alerts_total", dimensions: [("kind", kind)]).increment()
    }

    func reconnect(_ provider: Provider) {
        Counter(label: "brokerhub_collector_reconnects_total", dimensions: [("provider", provider.rawValue)]).increment()
    }

    func gap(_ provider: Provider, seconds: Double) {
        Counter(label: "brokerhub_collector_gaps_total", dimensions: [("provider", provider.rawValue)]).increment()
        Timer(label: "brokerhub_collector_gap_seconds", dimensions: [("provider", provider.rawValue)]).recordNanoseconds(Int64(seconds * 1e9))
    }

    func confirmed(session: String, provider: Provider, count: Int) {
        Gauge(label: "brokerhub_collector_subscriptions_confirmed", dimensions: [("provider", provider.rawValue), ("session", session)]).record(count)
    }

    func buffered(_ count: Int) {
        Gauge(label: "brokerhub_collector_buffered_events").record(count)
    }
}
