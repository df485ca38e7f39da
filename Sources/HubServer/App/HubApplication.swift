import Alerts
import Archiver
import BrokerClients
import BrokerCore
import Collector
import Foundation
import HubEngine
import Logging
import Realtime
import RealtimeGateway
import RedisClient
import ServiceLifecycle
import Snapshots

/// The composition root: builds the backends (embedded store or Redis), token manager, limiter, gateway,
/// queue, dispatcher and hub from a `HubConfiguration`, and the services that run them.
public final class HubApplication: Sendable {
    public let configuration: HubConfiguration
    public let hub: Hub
    public let tokens: TokenManager
    let backends: HubBackends
    public let localTokens: LocalTokens
    /// The snapshot schedule run through this hub's front door (BROKERHUB_SNAPSHOT_MODE), if configured.
    public let snapshots: SnapshotCollector?
    /// The alerts of the hub's own state (and of the pipeline, with a bus), when a sink is configured.
    let alerts: AlertService?
    /// The bus's services, when this hub opened it (a bus handed in is run by its owner).
    let busServices: [any Service]
    /// `/v1/stream`'s front door over the bus.
    public let feed: LiveFeed?
    /// The realtime gateway (BROKERHUB_GATEWAY): broker-native WebSocket clients sharing this hub's broker sessions.
    public let gateway: RealtimeGateway?
    /// The control channel's listener and its Redis client (BROKERHUB_CONTROL_URL), for the gateway's collector.
    let control: [any Service]
    /// The pipeline's ledger (with BROKERHUB_ARCHIVE), for the status and the dashboard.
    public let ledger: HubLedger?
    let logger: Logger
    let clock: any HubClock
    public let startedAt: Date

    /// - Parameter bus: the pipeline's bus when the caller already runs one in this process (the demo); otherwise the
    ///   hub opens `configuration.bus`, if set.
    public init(
        configuration: HubConfiguration, clock: any HubClock = SystemClock(), bus: EventBusSpecification.Opened? = nil,
        logger: Logger = Logger(label: "brokerhub")
    ) throws {
        try configuration.validate()
        HubMetrics.bootstrap()
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        startedAt = clock.now
        let scheduler = ShareScheduler(minimumShares: [.snapshot: configuration.shareSnapshot, .backfill: configuration.shareBackfill])
        let backends = try HubBackends.make(configuration, clock: clock, scheduler: scheduler, logger: logger)
        self.backends = backends
        let clients: [any BrokerClient] = [KISClient(clock: clock), KiwoomClient(clock: clock)]
        tokens = TokenManager(
            store: backends.tokenStore, cipher: backends.cipher, clients: clients, clock: clock,
            policy: configuration.tokens, logger: logger.child("tokens")
        )
        var gatewayConfiguration = BrokerGateway.Configuration()
        gatewayConfiguration.limits = configuration.limits
        gatewayConfiguration.retry = configuration.retry
        gatewayConfiguration.breaker = configuration.breaker
        gatewayConfiguration.timeout = configuration.brokerTimeout
        // Limits learned from the broker's refusals (shared through Redis in distributed mode).
        let learner = BudgetLearner(store: backends.learnedBudgets, policy: configuration.learning, clock: clock, logger: logger.child("budgets"))
        let gateway = BrokerGateway(
            accounts: configuration.accounts, clients: clients, tokens: tokens, limiter: backends.limiter, learner: learner,
            configuration: gatewayConfiguration, clock: clock, logger: logger.child("gateway")
        )
        let queue = backends.queue
        var dispatch = Dispatcher.Configuration()
        dispatch.workers = configuration.workers
        dispatch.resultRetention = configuration.resultRetention
        dispatch.leaseDuration = configuration.leaseDuration
        dispatch.maintenanceInterval = min(.seconds(5), configuration.leaseDuration / 2)
        // Each idle poll of the Redis queue is a Lua script on the shared server: a hub's own submissions wake
        // its workers at once, so polling only needs to catch work other hubs could not take.
        if configuration.isDistributed { dispatch.idlePoll = .milliseconds(250) }
        let dispatcher = Dispatcher(queue: queue, gateway: gateway, configuration: dispatch, clock: clock, logger: logger.child("dispatch"))
        let hub = Hub(queue: queue, gateway: gateway, dispatcher: dispatcher, queueLimit: configuration.queueLimit, clock: clock, logger: logger.child("hub"))
        self.hub = hub
        localTokens = LocalTokens(clock: clock)
        // The pipeline's bus: handed in (the demo's, in-process) or opened as `brokerhub alerts` opens it.
        let ownsBus = bus == nil
        let pipeline = try bus ?? configuration.bus.map { try EventBusSpecification.open($0, clock: clock, logger: logger.child("bus")) }
        busServices = ownsBus ? pipeline?.services ?? [] : []
        feed = pipeline.map { LiveFeed(bus: $0.bus) }
        if let archive = configuration.archive {
            guard let pipeline else {
                throw BrokerHubError(.invalidConfiguration, "BROKERHUB_ARCHIVE needs BROKERHUB_BUS: the ledger compares the bus's published counts with the archive's")
            }
            let sink: any ArchiveSink
            do {
                sink = try ArchiveSinkSpecification.open(archive, logger: logger.child("ledger"))
            } catch {
                throw BrokerHubError(.invalidConfiguration, "BROKERHUB_ARCHIVE: \(error)")
            }
            ledger = HubLedger(bus: pipeline.bus, sink: sink, interval: configuration.ledgerInterval, clock: clock, logger: logger.child("ledger"))
        } else {
            ledger = nil
        }
        if configuration.alertsEnabled {
            var sinks: [any AlertSink] = []
            if let url = configuration.alertWebhookURL { sinks.append(WebhookAlertSink(url: url, format: configuration.alertWebhookFormat)) }
            if let path = configuration.alertLogFile { sinks.append(FileAlertSink(path: path)) }
            let alertLogger = logger.child("alerts")
            alerts = AlertService(
                bus: pipeline?.bus, deliverers: sinks.map { AlertDeliverer(sink: $0, clock: clock, logger: alertLogger) }, clock: clock, logger: alertLogger
            )
        } else {
            alerts = nil
        }
        if configuration.gateway.isEmpty {
            self.gateway = nil
        } else {
            var sessions = CollectorConfiguration()
            sessions.accounts = configuration.accounts.filter { configuration.gateway.contains($0.provider) }
            sessions.onDemand = configuration.gateway
            sessions.capacity = [.kis: configuration.gatewayCapacity, .kiwoom: configuration.gatewayCapacity]
            for (provider, url) in configuration.webSocketURLs { sessions.useWebSocketURL(url, for: provider) }
            self.gateway = RealtimeGateway(
                configuration: configuration.gatewaySettings, collector: sessions, bus: pipeline?.bus, credential: .tokens(tokens),
                credentialIsValid: { [localTokens] in localTokens.isValid($0) }, clock: clock, logger: logger.child("gateway")
            )
        }
        if let gateway = self.gateway, let url = configuration.controlURL, let key = configuration.controlKey {
            let redis = RedisClient(configuration: try RedisConfiguration(url: url), logger: logger.child("control"))
            control = [redis, CollectorControl(redis: redis, prefix: configuration.redisPrefix, key: key, collector: gateway.collector, clock: clock, logger: logger.child("control"))]
        } else {
            control = []
        }
        snapshots = configuration.snapshot.map {
            SnapshotCollector(configuration: $0, source: HubSnapshotSource(hub: hub), clock: clock, logger: logger.child("snapshot"))
        }
    }

    /// The long-running parts: workers and maintenance, token refresh, the snapshot schedule (after the workers,
    /// so it stops before them) and the HTTP server.
    public func services(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> [any Service] {
        backends.services + busServices + (ledger.map { [$0] } ?? []) + hub.services + [TokenRefresher(manager: tokens, clock: clock)] + alertServices()
            + (snapshots.map { [$0] } ?? []) + (gateway.map { [$0] } ?? []) + control + [HubHTTPServer(
                hub: hub, localTokens: localTokens, configuration: configuration, clock: clock, startedAt: startedAt, snapshots: snapshots, alerts: alerts,
                feed: feed, ledger: ledger?.monitor, gateway: gateway, logger: logger, onListening: onListening
            )]
    }

    /// With an alert sink configured: the alerts service and the watch that feeds it the hub's own state.
    private func alertServices() -> [any Service] {
        guard let alerts else { return [] }
        let watch = HubAlertWatch(
            hub: hub, alerts: alerts, queueLimit: configuration.queueLimit, interval: configuration.alertCheckInterval, clock: clock, logger: logger.child("alerts")
        )
        return [alerts, watch]
    }

    /// Runs everything under one `ServiceGroup` until SIGTERM/SIGINT (then drains: workers finish the task
    /// in hand, queued tasks stay queued for the next start).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let group = ServiceGroupConfiguration.process(services(onListening: onListening), drain: configuration.drainDuration, logger: logger)
        try await ServiceGroup(configuration: group).run()
    }
}

extension Logger {
    /// A logger for a part of the hub: same handler and level, a dotted label.
    func child(_ part: String) -> Logger {
        var logger = self
        logger[metadataKey: "hub.part"] = "\(part)"
        return logger
    }
}
