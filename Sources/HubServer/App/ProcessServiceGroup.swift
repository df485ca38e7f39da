import Logging
import ServiceLifecycle

extension ServiceGroupConfiguration {
    /// The one group of a BrokerHub process (hub, archiver, collector, mock broker): SIGTERM/SIGINT start a
    /// graceful shutdown that may take `drain`; then the services are cancelled, and a service that still has
    /// not returned 5 s later ends the process. SIGTERM always ends it, even when a dependency is down.
    public static func process(_ services: [any Service], drain: Duration, logger: Logger) -> ServiceGroupConfiguration {
        process(configured: services.map { .init(service: $0) }, drain: drain, logger: logger)
    }

    /// The same, with each service's own termination behaviour (e.g. a collector that may finish early).
    public static func process(configured services: [ServiceConfiguration], drain: Duration, logger: Logger) -> ServiceGroupConfiguration {
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = max(drain, .milliseconds(100))
        configuration.maximumCancellationDuration = .seconds(5)
        return configuration
    }

    /// `process(_:drain:logger:)` with the drain in seconds, as the commands' `--drain-seconds` give it.
    public static func process(_ services: [any Service], drainSeconds: Double, logger: Logger) -> ServiceGroupConfiguration {
        process(services, drain: .milliseconds(Int64(max(0.1, drainSeconds) * 1000)), logger: logger)
    }
}
