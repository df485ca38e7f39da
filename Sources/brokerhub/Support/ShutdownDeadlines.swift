import Logging
import ServiceLifecycle

extension ServiceGroupConfiguration {
    /// One group for a worker process (archiver, collector, mock broker): SIGTERM/SIGINT start a graceful
    /// shutdown that may take `drainSeconds`; then the services are cancelled, and a service that still has
    /// not returned 5 s later ends the process. SIGTERM always ends it, even when a dependency is down.
    static func process(_ services: [any Service], drainSeconds: Double, logger: Logger) -> ServiceGroupConfiguration {
        var configuration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        )
        configuration.maximumGracefulShutdownDuration = .milliseconds(Int64(max(0.1, drainSeconds) * 1000))
        configuration.maximumCancellationDuration = .seconds(5)
        return configuration
    }
}
