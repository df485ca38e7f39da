import BrokerCore
import Foundation
import Logging
import Metrics
import Realtime
import ServiceLifecycle
import Synchronization

/// `brokerhub alerts` (the original design's "Sentinel"): reads the bus's `system` channel live — every
/// `RealtimeAlert` a collector or archiver raises — and whatever in-process sources `raise`/`resolve`
/// (the hub's own events inside `serve`), decides through `AlertPolicy` what a person hears, and hands the
/// notices to one `AlertDeliverer` per sink. Delivery never holds up the bus or the caller of `raise`.
public final class AlertService: Service, Sendable {
    public struct Settings: Sendable {
        public var policy = AlertPolicy.Settings()
        /// How often reminders and quiet incidents are looked at.
        public var tickInterval: Duration = .seconds(5)
        /// Pause before the live subscription is made again after it ended (the bus's server restarted).
        public var resubscribeDelay: Duration = .seconds(1)

        public init() {}
    }

    let bus: (any EventBus)?
    public let deliverers: [AlertDeliverer]
    let settings: Settings
    let clock: any HubClock
    let logger: Logger
    private let policy: Mutex<AlertPolicy>
    private let subscribed = Atomic<Bool>(false)
    private let recent = Mutex<[AlertNotice]>([])
    /// How many notices `recentNotices` keeps.
    public static let recentLimit = 50

    /// `bus` nil: only in-process sources.
    public init(bus: (any EventBus)?, deliverers: [AlertDeliverer], settings: Settings = Settings(), clock: any HubClock = SystemClock(), logger: Logger) {
        self.bus = bus
        self.deliverers = deliverers
        self.settings = settings
        self.clock = clock
        self.logger = logger
        policy = Mutex(AlertPolicy(settings: settings.policy))
    }

    /// The last notices decided (at most `recentLimit`), oldest first: what the dashboard lists.
    public var recentNotices: [AlertNotice] { recent.withLock { $0 } }

    /// Whether the live subscription to the bus is in place (always true without a bus).
    public var isListening: Bool { bus == nil || subscribed.load(ordering: .acquiring) }

    /// Incidents open now.
    public var openIncidents: [AlertIncident] { policy.withLock { $0.openIncidents } }

    /// An alert from an in-process source.
    public func raise(_ incident: AlertIncident, message: String, severity: AlertSeverity? = nil) {
        let now = clock.now
        perform(policy.withLock { $0.raise(incident, message: message, severity: severity, at: now) })
    }

    /// The in-process source says the incident is over.
    public func resolve(_ incident: AlertIncident) {
        let now = clock.now
        perform(policy.withLock { $0.resolve(incident, at: now) })
    }

    /// Reminders and resolutions due now (the service's own loop calls it every `tickInterval`).
    public func tick() {
        let now = clock.now
        perform(policy.withLock { $0.tick(at: now) })
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            for deliverer in deliverers { group.addTask { await deliverer.run() } }
            if let bus { group.addTask { await self.listen(to: bus) } }
            group.addTask {
                while !Task.isCancelled {
                    do { try await self.clock.sleep(for: self.settings.tickInterval) } catch { return }
                    self.tick()
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    private func listen(to bus: any EventBus) async {
        while !Task.isCancelled {
            do {
                let stream = try await bus.live(pattern: "system.*")
                subscribed.store(true, ordering: .releasing)
                logger.info("listening for alerts on the bus's system channel")
                for await event in stream {
                    guard case .alert(let alert) = event.payload else { continue }
                    Counter(label: "brokerhub_alerts_received_total", dimensions: []).increment()
                    raise(AlertIncident(kind: alert.kind, provider: alert.provider ?? event.provider, symbol: alert.symbol), message: alert.message)
                }
                subscribed.store(false, ordering: .releasing)
                guard !Task.isCancelled else { return }
                logger.warning("the bus's live stream ended; subscribing again")
            } catch {
                subscribed.store(false, ordering: .releasing)
                guard !Task.isCancelled else { return }
                logger.warning("cannot listen to the bus; trying again", metadata: ["error.message": "\(error)"])
            }
            do { try await clock.sleep(for: settings.resubscribeDelay) } catch { return }
        }
    }

    private func perform(_ notices: [AlertNotice]) {
        guard !notices.isEmpty else { return }
        recent.withLock { recent in
            recent.append(contentsOf: notices)
            if recent.count > Self.recentLimit { recent.removeFirst(recent.count - Self.recentLimit) }
        }
        for notice in notices {
            Counter(label: "brokerhub_alerts_notices_total", dimensions: [("stage", notice.stage.rawValue), ("severity", notice.severity.rawValue)]).increment()
            logger.notice("alert", metadata: [
                "alerts.stage": "\(notice.stage.rawValue)", "alerts.severity": "\(notice.severity.rawValue)",
                "alerts.incident": "\(notice.incident)", "alerts.message": "\(notice.message)",
            ])
            for deliverer in deliverers { deliverer.enqueue(notice) }
        }
    }
}
