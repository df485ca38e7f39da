import BrokerCore
import Foundation
import Logging
import Realtime
import ServiceLifecycle

/// The collector's composition root: turns a `CollectorConfiguration` (and where raw frames go) into the
/// `Collector` over a bus the caller opened (`EventBusSpecification`) and the services that run it — as
/// `HubApplication` does for the hub.
public final class CollectorApplication: Sendable {
    public let collector: Collector
    private let rawLog: RawFrameLogger?

    /// - Parameters:
    ///   - rawLogDirectory: keep raw frames (malformed, fragments, notices) in hourly files here; nil: not kept.
    ///   - credential: approval keys and tokens (the hub's `TokenManager` through `CredentialSource.tokens`).
    public init(
        configuration: CollectorConfiguration, bus: any EventBus, rawLogDirectory: String? = nil, credential: CredentialSource,
        clock: any HubClock = SystemClock(), logger: Logger = Logger(label: "brokerhub.collector")
    ) {
        rawLog = rawLogDirectory.map { RawFrameLogger(configuration: .init(directory: URL(fileURLWithPath: $0)), clock: clock, logger: logger) }
        collector = Collector(configuration: configuration, bus: bus, rawLog: rawLog, credential: credential, clock: clock, logger: logger)
    }

    /// What runs, in start order (stopped in reverse: the collector flushes before the raw-frame log closes).
    public var services: [any Service] { (rawLog.map { [$0] } ?? []) + [collector] }
}
