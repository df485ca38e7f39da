import Alerts
import Archiver
import BrokerCore
import Foundation
import HubEngine
import Hummingbird
import Logging
import RealtimeGateway
import ServiceLifecycle
import Snapshots

/// The hub's HTTP API as a `Service` (Hummingbird): `/v1/…`, the broker-native proxy under `/kis/…` and
/// `/kiwoom/…`, and the operations endpoints.
public struct HubHTTPServer: Service {
    let routes: HubRoutes
    let configuration: HubConfiguration
    let logger: Logger
    let onListening: @Sendable (Int) async -> Void
    let gateway: GatewaySocket?

    /// - Parameters:
    ///   - hub: the front door every route calls.
    ///   - localTokens: the hub-issued tokens the proxy hands to broker-native clients.
    ///   - startedAt: when the process started (`/v1/status`).
    ///   - snapshots: the snapshot schedule whose status `/v1/status` shows, if the hub runs one.
    ///   - alerts: the alerts of the hub's own state, whose recent notices `/v1/status` lists, if configured.
    ///   - feed: the pipeline's live records `/v1/stream` serves, if the hub has a bus.
    ///   - ledger: the pipeline's ledger readings `/v1/status` shows, if the hub has a bus and an archive.
    ///   - gateway: the realtime gateway whose WebSocket clients this server upgrades, if the hub runs one.
    public init(
        hub: Hub, localTokens: LocalTokens, configuration: HubConfiguration, clock: any HubClock, startedAt: Date,
        snapshots: SnapshotCollector? = nil, alerts: AlertService? = nil, feed: LiveFeed? = nil, ledger: LedgerMonitor? = nil, gateway: RealtimeGateway? = nil, logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        routes = HubRoutes(
            hub: hub, localTokens: localTokens, configuration: configuration, clock: clock, startedAt: startedAt, snapshots: snapshots, alerts: alerts,
            feed: feed, ledger: ledger, gateway: gateway
        )
        self.gateway = gateway.map { GatewaySocket(gateway: $0, clock: clock) }
        self.configuration = configuration
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let router = Router()
        let table = RouteTable()
        router.middlewares.add(ErrorShapeMiddleware(routes: table))
        router.middlewares.add(BrowserGuardMiddleware(allowedHosts: Set(configuration.allowedHosts.map { $0.lowercased() }), keysRequired: !configuration.apiKeys.isEmpty))
        router.middlewares.add(APIKeyMiddleware(keys: Set(configuration.apiKeys)))
        routes.register(on: router, table: table)
        let onListening = self.onListening
        var server = configuration.httpLimits.server
        if let gateway {
            server = configuration.httpLimits.webSocketServer { head, channel, logger in
                guard let provider = gateway.provider(forPath: head.path ?? "/") else { return .dontUpgrade }
                return .upgrade([:]) { inbound, outbound, _ in
                    await gateway.serve(provider, inbound: inbound, outbound: outbound, channel: channel, logger: logger)
                }
            }
        }
        let app = Application(
            router: router, server: server,
            configuration: configuration.httpLimits.configuration(address: .hostname(configuration.host, port: configuration.port), serverName: "brokerhub"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        try await app.runService()
    }
}
