import Metrics
import Prometheus
import Synchronization

/// The Prometheus registry every metric of the process lands in (swift-metrics is bootstrapped onto it
/// once per process).
public enum HubMetrics {
    private static let bootstrapped = Mutex(false)

    public static var registry: PrometheusCollectorRegistry { PrometheusMetricsFactory.defaultRegistry }

    /// Bootstraps swift-metrics with the Prometheus factory, once.
    public static func bootstrap() {
        bootstrapped.withLock { done in
            guard !done else { return }
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            done = true
        }
    }

    /// The exposition text.
    public static func render() -> String { registry.emitToString() }
}
