import BrokerCore
import Logging
import Metrics
import Synchronization

/// Sends notices to one sink without ever holding up whoever raises them: `enqueue` returns at once (a full
/// queue drops its oldest notice, counted), a loop delivers one at a time and retries what failed with
/// exponential backoff on the injected clock, and gives a notice up after `maximumAttempts` (counted, logged).
/// Notices below `minimumSeverity` are not sent to this sink.
public final class AlertDeliverer: Sendable {
    public struct Settings: Sendable, Hashable {
        public var capacity: Int = 1_000
        public var maximumAttempts: Int = 8
        public var firstBackoff: Duration = .seconds(1)
        public var backoffCap: Duration = .seconds(60)
        public var minimumSeverity: AlertSeverity = .info

        public init() {}
    }

    public let sink: any AlertSink
    public let settings: Settings
    private let clock: any HubClock
    private let logger: Logger
    private let stream: AsyncStream<AlertNotice>
    private let continuation: AsyncStream<AlertNotice>.Continuation
    private let counts = Mutex(Statistics())

    /// What this deliverer has done so far.
    public struct Statistics: Sendable, Hashable {
        public var delivered = 0
        public var retries = 0
        public var failed = 0
        public var dropped = 0
    }

    public init(sink: any AlertSink, settings: Settings = Settings(), clock: any HubClock = SystemClock(), logger: Logger) {
        self.sink = sink
        self.settings = settings
        self.clock = clock
        var logger = logger
        logger[metadataKey: "alerts.sink"] = "\(sink.name)"
        self.logger = logger
        (stream, continuation) = AsyncStream.makeStream(of: AlertNotice.self, bufferingPolicy: .bufferingNewest(max(1, settings.capacity)))
    }

    public var statistics: Statistics { counts.withLock { $0 } }

    /// Queues `notice` for the sink; never waits.
    public func enqueue(_ notice: AlertNotice) {
        guard notice.severity >= settings.minimumSeverity else { return }
        if case .dropped = continuation.yield(notice) {
            counts.withLock { $0.dropped += 1 }
            Counter(label: "brokerhub_alerts_dropped_total", dimensions: [("sink", sink.name)]).increment()
        }
    }

    /// The delay before attempt `attempt + 1` after `attempt` failed: first, ×2 each time, capped.
    public static func backoff(afterAttempt attempt: Int, first: Duration, cap: Duration) -> Duration {
        let factor = Double(1 << min(max(attempt - 1, 0), 30))
        return .milliseconds(Int64(min(first.timeInterval * factor, cap.timeInterval) * 1000))
    }

    /// Delivers until cancelled; notices still queued then are logged as not delivered.
    public func run() async {
        for await notice in stream {
            guard await deliver(notice) else { break }
        }
        continuation.finish()
    }

    /// One notice with its retries; false when cancelled.
    private func deliver(_ notice: AlertNotice) async -> Bool {
        for attempt in 1...max(1, settings.maximumAttempts) {
            do {
                try await sink.deliver(notice)
                counts.withLock { $0.delivered += 1 }
                Counter(label: "brokerhub_alerts_delivered_total", dimensions: [("sink", sink.name)]).increment()
                return true
            } catch {
                let permanent = (error as? AlertDeliveryError)?.permanent ?? false
                if permanent || attempt == settings.maximumAttempts {
                    counts.withLock { $0.failed += 1 }
                    Counter(label: "brokerhub_alerts_failed_total", dimensions: [("sink", sink.name)]).increment()
                    logger.error("alert notice not delivered; given up", metadata: [
                        "alerts.incident": "\(notice.incident)", "alerts.stage": "\(notice.stage.rawValue)",
                        "alerts.attempts": "\(attempt)", "error.message": "\(error)",
                    ])
                    return !Task.isCancelled
                }
                counts.withLock { $0.retries += 1 }
                Counter(label: "brokerhub_alerts_retries_total", dimensions: [("sink", sink.name)]).increment()
                let delay = Self.backoff(afterAttempt: attempt, first: settings.firstBackoff, cap: settings.backoffCap)
                logger.warning("alert notice not delivered; retrying", metadata: [
                    "alerts.incident": "\(notice.incident)", "alerts.attempt": "\(attempt)", "alerts.retry_in": "\(delay)",
                    "error.message": "\(error)",
                ])
                do {
                    try await clock.sleep(for: delay)
                } catch {
                    return false
                }
            }
        }
        return true
    }
}
