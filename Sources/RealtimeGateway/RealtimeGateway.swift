import BrokerCore
import BrokerWire
import Collector
import Foundation
import Logging
import Realtime
import ServiceLifecycle
import Synchronization

/// The realtime gateway: broker-native WebSocket clients (KIS- and Kiwoom-shaped) share the hub's broker sessions.
/// The hub's `Collector` holds one session per app key; a client's registrations are reference-counted onto them
/// (two clients on 005930 make one broker registration, the last release frees it), spread over the keys' sessions
/// as they fill, and answered `OPSP0008` (Kiwoom: its 1513 cap answer) with an alert when every session is full.
/// Each upstream frame goes, unchanged, to the clients holding its registration through their own bounded
/// outboxes, so a slow client loses its own oldest frames and never delays the others or the archive path.
///
/// Callers use this front door only: `open` a client for a socket, hand it every message with `receive`,
/// write what its `next()` yields, `close` it when the socket ends. A `Service`: `run` runs the collector.
public final class RealtimeGateway: Service, Sendable {
    public struct Status: Sendable, Equatable {
        public var clients: Int
        /// Broker registrations the clients hold (each once, however many clients share it).
        public var registrations: Int
        public var framesSent: Int64
        public var dropped: Int64
        public var refused: Int64
        public var full: Int64
        public var slowDisconnects: Int64
    }

    /// The sessions the clients share.
    public let collector: Collector
    public let configuration: GatewayConfiguration
    private let fanout: Fanout
    private let metrics = GatewayMetrics()
    private let kis: KISClientProtocol
    private let kiwoom = KiwoomClientProtocol()
    private let credentialIsValid: @Sendable (String) -> Bool
    private let clock: any HubClock
    private let logger: Logger
    private let nextID = Atomic<UInt64>(0)

    /// - Parameters:
    ///   - collector: the collector's configuration; every account of `onDemand` providers gets a session.
    ///   - bus: where the sessions also publish (the pipeline), or nil.
    ///   - credentialIsValid: whether the hub issued a client's KIS `approval_key` or Kiwoom `LOGIN` token.
    public init(
        configuration: GatewayConfiguration, collector collectorConfiguration: CollectorConfiguration, bus: (any EventBus)?,
        credential: CredentialSource, credentialIsValid: @escaping @Sendable (String) -> Bool,
        clock: any HubClock = SystemClock(), logger: Logger = Logger(label: "brokerhub.gateway")
    ) {
        self.configuration = configuration
        self.credentialIsValid = credentialIsValid
        self.clock = clock
        self.logger = logger
        kis = KISClientProtocol(tickTransaction: configuration.kisTickTransaction, bookTransaction: configuration.kisBookTransaction)
        let fanout = Fanout(metrics: metrics)
        self.fanout = fanout
        collector = Collector(
            configuration: collectorConfiguration, bus: bus, frameTap: { fanout.deliver($0, provider: $1) }, credential: credential,
            clock: clock, logger: logger
        )
    }

    public func run() async throws {
        try await collector.run()
    }

    public var status: Status {
        let counts = metrics.snapshot
        let (registrations, clients) = fanout.counts
        return Status(
            clients: clients, registrations: registrations, framesSent: counts.framesSent, dropped: counts.dropped, refused: counts.refused,
            full: counts.full, slowDisconnects: counts.slowDisconnects
        )
    }

    /// A new client of `provider`'s protocol.
    public func open(_ provider: Provider) -> GatewayClient {
        let id = GatewayClientID(nextID.wrappingAdd(1, ordering: .relaxed).newValue)
        let client = GatewayClient(id: id, provider: provider, outbox: ClientOutbox(capacity: configuration.clientQueue, maxDrops: configuration.maxDrops))
        fanout.add(id, outbox: client.outbox)
        updateGauges()
        logger.debug("gateway client connected", metadata: ["gateway.client": "\(id)", "gateway.provider": "\(provider.rawValue)"])
        return client
    }

    /// The client's socket is gone: its registrations are released (the broker's go when nobody else holds them).
    public func close(_ client: GatewayClient) {
        client.outbox.close(reason: "closed")
        fanout.remove(client.id) { collector.detach($0.key, provider: $0.provider) }
        updateGauges()
        logger.debug("gateway client closed", metadata: ["gateway.client": "\(client.id)", "gateway.dropped": "\(client.dropped)"])
    }

    /// Handles one message from the client; its answers go to the client's outbox. Returns false when the
    /// connection is to close (a refused Kiwoom `LOGIN`, an overflowed outbox).
    @discardableResult
    public func receive(_ text: String, from client: GatewayClient) async -> Bool {
        let now = clock.now
        guard client.admit(at: now, limit: configuration.requestsPerSecond) else {
            metrics.refused(client.provider, code: "rate")
            if client.provider == .kis {
                client.outbox.reply(RealtimeControlText.kisAck(trID: "", trKey: "", returnCode: "1", code: "EGW00201", message: "초당 거래건수를 초과하였습니다."))
            } else {
                client.outbox.reply(RealtimeControlText.kiwoomAnswer("SYSTEM", code: 5, message: "허용된 요청 개수를 초과하였습니다[1700:초당 \(configuration.requestsPerSecond)건]"))
            }
            return client.closedFor == nil
        }
        switch client.provider {
        case .kis: await receiveKIS(text, from: client)
        case .kiwoom: await receiveKiwoom(text, from: client)
        }
        updateGauges()
        return client.closedFor == nil
    }

    private func receiveKIS(_ text: String, from client: GatewayClient) async {
        switch kis.read(text, approvalIsValid: credentialIsValid) {
        case .heartbeat:
            return
        case .refused(let reply, let code):
            metrics.refused(.kis, code: code)
            client.outbox.reply(reply)
        case .subscribe(let key, let trID):
            let outcome = subscribe(client, GatewayKey(.kis, key))
            client.outbox.reply(kis.subscribeAnswer(key, trID: trID, outcome, client: client.id))
            if outcome == .full { await full(.kis, key) }
        case .unsubscribe(let key, let trID):
            let held = release(client, GatewayKey(.kis, key))
            client.outbox.reply(kis.unsubscribeAnswer(key, trID: trID, held: held))
        }
    }

    private func receiveKiwoom(_ text: String, from client: GatewayClient) async {
        let loggedIn = client.state.withLock { $0.loggedIn }
        switch kiwoom.read(text, loggedIn: loggedIn) {
        case .heartbeat:
            return
        case .refused(let reply, let code, let close):
            metrics.refused(.kiwoom, code: code)
            client.outbox.reply(reply)
            if close { client.outbox.close(reason: "refused: \(code)") }
        case .login(let token):
            guard credentialIsValid(token) else {
                metrics.refused(.kiwoom, code: "8005")
                client.outbox.reply(KiwoomClientProtocol.loginFailed)
                client.outbox.close(reason: "login refused")
                return
            }
            client.state.withLock { $0.loggedIn = true }
            client.outbox.reply(KiwoomClientProtocol.loggedIn)
        case .register(let group, let keepExisting, let keys):
            // `refresh` "0" first drops what the group held; then every key is held, or none (the cap).
            if !keepExisting { releaseGroup(client, group: group, keys: nil) }
            var added: [SubscriptionKey] = []
            for key in keys where !isHeld(client, key) {
                guard subscribe(client, GatewayKey(.kiwoom, key)) == .subscribed else {
                    for key in added { release(client, GatewayKey(.kiwoom, key)) }
                    client.outbox.reply(KiwoomClientProtocol.full(capacity: collector.configuration.capacity[.kiwoom] ?? 100))
                    await full(.kiwoom, key)
                    return
                }
                added.append(key)
            }
            client.state.withLock { $0.groups[group, default: []].formUnion(keys) }
            client.outbox.reply(KiwoomClientProtocol.accepted("REG"))
        case .remove(let group, let keys):
            releaseGroup(client, group: group, keys: keys)
            client.outbox.reply(KiwoomClientProtocol.accepted("REMOVE"))
        }
    }

    /// Whether any group of the Kiwoom client holds `key`.
    private func isHeld(_ client: GatewayClient, _ key: SubscriptionKey) -> Bool {
        client.state.withLock { $0.groups.values.contains { $0.contains(key) } }
    }

    /// Takes `keys` (all when nil) out of a Kiwoom client's group, releasing those no other group of it holds.
    private func releaseGroup(_ client: GatewayClient, group: String, keys: [SubscriptionKey]?) {
        let released = client.state.withLock { state -> [SubscriptionKey] in
            let removing = keys.map(Set.init) ?? state.groups[group] ?? []
            state.groups[group]?.subtract(removing)
            if state.groups[group]?.isEmpty == true { state.groups[group] = nil }
            return removing.filter { key in !state.groups.values.contains { $0.contains(key) } }
        }
        for key in released { release(client, GatewayKey(.kiwoom, key)) }
    }

    /// Releases `key` for `client`; the broker registration goes when nobody holds it any more. False when the client
    /// did not hold it.
    @discardableResult
    private func release(_ client: GatewayClient, _ key: GatewayKey) -> Bool {
        fanout.release(client.id, key) { collector.detach($0.key, provider: $0.provider) }
    }

    private func subscribe(_ client: GatewayClient, _ key: GatewayKey) -> GatewaySubscribe {
        let outcome = fanout.hold(client.id, key) {
            if case .placed = collector.attach(key.key, provider: key.provider) { return true }
            return false
        }
        if outcome == .full { metrics.full(key.provider) }
        return outcome
    }

    /// Every session is full: the alert (on the `system` channel, with the pipeline's alerts).
    private func full(_ provider: Provider, _ key: SubscriptionKey) async {
        await collector.alert(
            "gateway.capacity",
            "\(provider.rawValue): no broker session has room for \(key) (every app key's session is at its cap); the client was refused — add app keys for more",
            provider: provider, symbol: key.symbol
        )
    }

    private func updateGauges() {
        let (registrations, clients) = fanout.counts
        metrics.gauges(clients: clients, registrations: registrations)
    }
}
