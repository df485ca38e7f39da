import BrokerClients
import BrokerCore
import BrokerWire
import Foundation
import Logging
import Realtime
import ServiceLifecycle
import Synchronization

/// The realtime collector: one WebSocket session per account and provider (as planned by `SessionPlan`),
/// every tick and order book published to the `EventBus` in batches with ids `{runID}-{sequence}`, alerts on
/// the `system` channel. A `Service`: on graceful shutdown it unsubscribes, closes the sockets and flushes
/// the buffer to the bus before `run` returns.
///
/// Registrations can also be asked for while it runs (`attach`/`detach`, the realtime gateway's front door to
/// the broker sessions): each goes to the session of its provider that already carries it, else to the one
/// with the most room; with every session full it is refused, never silently dropped.
public final class Collector: Service, Sendable {
    /// Unique per collector start; the prefix of every event id.
    public let runID: String
    public let stats = CollectorStats()
    public let configuration: CollectorConfiguration
    /// Keys no session can carry (not enough accounts for the registration cap).
    public let uncovered: [Provider: [SubscriptionKey]]
    private let bus: (any EventBus)?
    private let buffer: EventBuffer
    private let sink: CollectorSink
    private let sessions: [any SessionControl]
    private let clock: any HubClock
    private let logger: Logger
    /// Registrations asked for at run time, with the index of the session carrying each.
    private let placements = Mutex<[ProviderKey: Int]>([:])
    /// An operator drained the collector: `attach` takes nothing new.
    private let draining = Atomic<Bool>(false)

    /// A registration of one provider (the key of `placements`).
    private struct ProviderKey: Hashable {
        var provider: Provider
        var key: SubscriptionKey
    }

    /// - Parameter bus: where ticks, books and alerts are published; nil publishes nothing (the sessions only feed
    ///   `frameTap`, as in a hub that runs the realtime gateway without a pipeline).
    /// - Parameter frameTap: sees every text frame a session receives, before it is parsed, on the session's task.
    /// - Parameter credential: the KIS approval key or the Kiwoom access token of an account, and where a
    ///   refused one goes (`CredentialSource.tokens(_:)` in HubServer serves them from the hub's `TokenManager`).
    /// - Parameter clock: every wait and time stamp of the sessions and the publisher (`ManualClock` in tests).
    public init(
        configuration: CollectorConfiguration, bus: (any EventBus)?, rawLog: RawFrameLogger? = nil,
        frameTap: (@Sendable (String, Provider) -> Void)? = nil, credential: CredentialSource, clock: any HubClock = SystemClock(),
        runID: String? = nil, logger: Logger = Logger(label: "brokerhub.collector")
    ) {
        self.runID = runID ?? Collector.makeRunID(now: clock.now)
        self.clock = clock
        self.configuration = configuration
        self.bus = bus
        self.logger = logger
        buffer = EventBuffer(runID: self.runID, capacity: configuration.bufferCapacity)
        sink = CollectorSink(buffer: bus == nil ? nil : buffer, frameTap: frameTap, stats: stats, rawLog: rawLog, logger: logger)
        var sessions: [any SessionControl] = []
        var uncovered: [Provider: [SubscriptionKey]] = [:]
        for provider in Provider.allCases {
            let keys = configuration.subscriptions[provider] ?? []
            let onDemand = configuration.onDemand.contains(provider)
            guard !keys.isEmpty || onDemand else { continue }
            let asked = configuration.capacity[provider] ?? 41
            let capacity = min(asked, CollectorConfiguration.maximumCapacity[provider] ?? asked)
            if capacity < asked {
                logger.warning("capacity lowered to what the broker takes in one session", metadata: [
                    "collector.provider": "\(provider.rawValue)", "collector.capacity_asked": "\(asked)", "collector.capacity": "\(capacity)",
                ])
            }
            let accounts = configuration.accounts.filter { $0.provider == provider }
            var plan = SessionPlan.make(accounts: accounts, keys: keys, capacity: capacity, split: configuration.splitChannels)
            if !plan.uncovered.isEmpty { uncovered[provider] = plan.uncovered }
            if onDemand {
                // Every account holds a session, ready for registrations asked for later.
                for account in accounts.dropFirst(plan.assignments.count) {
                    plan.assignments.append(.init(account: account, keys: [], role: "mixed"))
                }
            }
            for (index, assignment) in plan.assignments.enumerated() {
                var manager = SubscriptionManager(capacity: capacity, ackTimeout: configuration.ackTimeout)
                manager.want(assignment.keys)
                guard let url = configuration.webSocketURL(for: assignment.account) else { continue }
                let settings = SessionSettings(
                    url: url, tickInterval: configuration.tickInterval, reconnect: configuration.reconnect,
                    watchdog: configuration.watchdog, marketOpen: configuration.marketOpen
                )
                let name = "\(provider.rawValue)-\(index + 1)-\(assignment.role)"
                let account = assignment.account
                let fetch: @Sendable () async throws -> String = { try await credential.fetch(account) }
                let invalidate: @Sendable (String) async -> Void = { await credential.invalidate(account, $0) }
                switch provider {
                case .kis:
                    // Execution notices ride on the first KIS session only.
                    let notices = index == 0 ? configuration.kisNoticeHTSID.map { (trID: account.kind == .paper ? "H0STCNI9" : "H0STCNI0", htsID: $0) } : nil
                    sessions.append(SessionRunner(
                        name: name, machine: KISSessionMachine(subscriptions: manager, notices: notices), settings: settings, clock: clock,
                        credential: fetch, invalidate: invalidate, sink: sink, logger: logger
                    ))
                case .kiwoom:
                    sessions.append(SessionRunner(
                        name: name, machine: KiwoomSessionMachine(subscriptions: manager), settings: settings, clock: clock,
                        credential: fetch, invalidate: invalidate, sink: sink, logger: logger
                    ))
                }
            }
        }
        self.sessions = sessions
        self.uncovered = uncovered
    }

    /// A run id unique per start: UTC time to the millisecond plus random bits.
    public static func makeRunID(now: Date) -> String {
        let millis = UInt64(now.timeIntervalSince1970 * 1000)
        return String(millis, radix: 36) + String(UInt32.random(in: 0...UInt32.max), radix: 36)
    }

    /// Session names with their subscription state (for status and tests).
    public var sessionSubscriptions: [String: SubscriptionManager] {
        Dictionary(uniqueKeysWithValues: sessions.map { ($0.name, $0.subscriptions) })
    }

    /// Sessions that stopped for good, with the reason.
    public var stoppedSessions: [String: String] {
        Dictionary(uniqueKeysWithValues: sessions.compactMap { session in session.stoppedFor.map { (session.name, $0) } })
    }

    /// What `attach` did.
    public enum Attachment: Sendable, Equatable {
        /// The session named carries the registration (asked for now, or already).
        case placed(session: String)
        /// Every session of the provider is at its capacity (KIS: 41 each): the broker would answer `OPSP0008`.
        case full
        /// No session of this provider runs (no account, or not opened on demand).
        case noSession
    }

    /// Asks for a registration while running: kept on the session that already wants it, else placed on the
    /// session of `provider` with the most room (its next tick sends it). The caller counts references:
    /// one `attach` per key is enough, and `detach` releases it.
    public func attach(_ key: SubscriptionKey, provider: Provider) -> Attachment {
        placements.withLock { placements in
            let indices = sessions.indices.filter { sessions[$0].provider == provider && sessions[$0].stoppedFor == nil }
            guard !indices.isEmpty else { return .noSession }
            if let index = placements[ProviderKey(provider: provider, key: key)] { return .placed(session: sessions[index].name) }
            if let index = indices.first(where: { sessions[$0].subscriptions.desired.contains(key) }) {
                return .placed(session: sessions[index].name)
            }
            guard !draining.load(ordering: .relaxed) else { return .full }
            let loads = indices.map { index -> (index: Int, room: Int) in
                let subscriptions = sessions[index].subscriptions
                return (index, subscriptions.capReached ? 0 : subscriptions.capacity - subscriptions.desired.count)
            }
            guard let best = loads.max(by: { $0.room < $1.room }), best.room > 0 else { return .full }
            sessions[best.index].want([key])
            placements[ProviderKey(provider: provider, key: key)] = best.index
            return .placed(session: sessions[best.index].name)
        }
    }

    /// Releases a registration `attach` placed (registrations of the configuration stay).
    public func detach(_ key: SubscriptionKey, provider: Provider) {
        placements.withLock { placements in
            guard let index = placements.removeValue(forKey: ProviderKey(provider: provider, key: key)) else { return }
            guard configuration.subscriptions[provider]?.contains(key) != true else { return }
            sessions[index].drop([key])
        }
    }

    /// Whether an operator drained the collector (it takes no new registrations).
    public var isDraining: Bool { draining.load(ordering: .relaxed) }

    /// Performs an operator command (the control channel's, `CollectorControl`); returns what was done, for its
    /// acknowledgement. `shutdown` only stops the sessions: the process's own shutdown is its caller's.
    @discardableResult
    public func perform(_ command: ControlEnvelope.Command) -> String {
        switch command {
        case .drain:
            draining.store(true, ordering: .relaxed)
            return "draining: no new registrations; \(sessions.reduce(0) { $0 + $1.subscriptions.desired.count }) kept"
        case .resubscribe:
            for session in sessions { session.requestResubscribe() }
            return "\(sessions.count) session(s) resubscribe"
        case .reconnect:
            for session in sessions { session.requestReconnect() }
            return "\(sessions.count) session(s) reconnect"
        case .shutdown:
            stop()
            return "\(sessions.count) session(s) unsubscribe and close"
        }
    }

    /// Raises an alert as the sessions do: logged, counted and published on the `system` channel.
    public func alert(_ kind: String, _ message: String, provider: Provider, symbol: String? = nil) async {
        await sink.alert(kind, message, provider: provider, symbol: symbol, session: nil, at: clock.now)
    }

    /// Registrations per session that the broker confirmed, by provider (for the gateway's status and tests).
    public func confirmed(_ provider: Provider) -> [String: Set<SubscriptionKey>] {
        Dictionary(uniqueKeysWithValues: sessions.filter { $0.provider == provider }.map { ($0.name, $0.subscriptions.confirmed) })
    }

    /// Asks every session to unsubscribe and close; `run` then flushes and returns.
    public func stop() {
        for session in sessions { session.requestStop() }
    }

    public func run() async throws {
        logger.info("collector starting", metadata: ["collector.run": "\(runID)", "collector.sessions": "\(sessions.count)"])
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await self.publishLoop() }
                    for (provider, keys) in uncovered.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                        await sink.alert(
                            "subscription.cap",
                            "\(provider.rawValue): \(keys.count) registration(s) not covered — more accounts needed at \(configuration.capacity[provider] ?? 41) per session: \(keys.prefix(20).map(\.description).joined(separator: ", "))\(keys.count > 20 ? ", …" : "")",
                            provider: provider, session: nil, at: clock.now
                        )
                    }
                    await withTaskGroup(of: Void.self) { sessionGroup in
                        for session in sessions { sessionGroup.addTask { await session.run() } }
                    }
                    buffer.finish()
                }
            } onGracefulShutdown: {
                self.stop()
            }
        } onCancel: {
            self.stop()
        }
        let snapshot = stats.snapshot
        logger.info("collector stopped", metadata: [
            "collector.run": "\(runID)", "collector.records": "\(snapshot.totalRecords)", "collector.published": "\(snapshot.published)",
        ])
    }

    /// Takes batches from the buffer and publishes them; a failed publish is retried (with backoff) until
    /// it succeeds, so nothing taken from the buffer is lost while the process lives.
    private func publishLoop() async {
        guard let bus else { return }
        while let batch = await buffer.take(maximum: configuration.publishBatchSize) {
            var delay = Duration.milliseconds(50)
            while true {
                do {
                    try await bus.publish(batch)
                    sink.published(batch.count)
                    break
                } catch {
                    sink.publishFailed()
                    logger.error("bus publish failed; retrying", metadata: ["collector.error": "\(error)", "collector.batch": "\(batch.count)"])
                    try? await clock.sleep(for: delay)
                    delay = min(delay * 2, .seconds(5))
                }
            }
        }
    }
}
