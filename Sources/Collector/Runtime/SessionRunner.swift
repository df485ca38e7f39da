import BrokerCore
import Foundation
import HummingbirdWSClient
import Logging
import Synchronization

/// Runs one broker session: connects over WebSocket, drives its `SessionMachine`, reconnects through
/// `ReconnectPolicy` (restoring every subscription), watches for silence during market hours with
/// `RealtimeWatchdog`, and hands records, alerts and unusable frames to the sink. On `requestStop` it
/// unsubscribes, waits briefly for the acks and closes the socket.
/// All its waiting and time stamps go through the injected `HubClock` (a `ManualClock` in tests).
final class SessionRunner<Machine: SessionMachine>: Sendable {
    typealias Settings = SessionSettings

    private struct State {
        var machine: Machine
        var policy: ReconnectPolicy
        var watchdog: RealtimeWatchdog
        var stopRequested = false
        /// An operator asked for a resubscribe or a reconnect (`Collector.perform`), done at the next tick.
        var resubscribeRequested = false
        var reconnectRequested = false
        var stoppedFor: String?
        var disconnectedAt: Date?
        var healthy = false
        /// The credential of the connection in hand, and when one was last re-issued after a refusal.
        var credential: String?
        var lastReissue: Date?
        /// The last `parser.failure` alert, and frames that could not be parsed since.
        var lastParserAlert: Date?
        var unparsedSinceAlert = 0
    }

    /// Frames that cannot be parsed raise one `parser.failure` alert in this long at most (each is counted
    /// and kept raw; the alert says how many).
    static var parserAlertWindow: TimeInterval { 60 }

    /// A refused credential is re-issued at most once in this long; refused again within it, the session stops.
    static var reissueWindow: TimeInterval { 600 }

    let name: String
    let provider: Provider
    private let settings: Settings
    private let clock: any HubClock
    private let credential: @Sendable () async throws -> String
    private let invalidate: @Sendable (String) async -> Void
    private let sink: CollectorSink
    private let logger: Logger
    private let state: Mutex<State>

    init(
        name: String, machine: Machine, settings: Settings, clock: any HubClock, credential: @escaping @Sendable () async throws -> String,
        invalidate: @escaping @Sendable (String) async -> Void = { _ in }, sink: CollectorSink, logger: Logger
    ) {
        self.name = name
        self.provider = machine.provider
        self.settings = settings
        self.clock = clock
        self.credential = credential
        self.invalidate = invalidate
        self.sink = sink
        var logger = logger
        logger[metadataKey: "collector.session"] = "\(name)"
        self.logger = logger
        state = Mutex(State(machine: machine, policy: ReconnectPolicy(configuration: settings.reconnect), watchdog: RealtimeWatchdog(thresholds: settings.watchdog)))
    }

    /// Asks the session to unsubscribe, close and not reconnect.
    func requestStop() { state.withLock { $0.stopRequested = true } }

    func requestResubscribe() { state.withLock { $0.resubscribeRequested = true } }

    func requestReconnect() { state.withLock { $0.reconnectRequested = true } }

    func want(_ keys: [SubscriptionKey]) { state.withLock { $0.machine.subscriptions.want(keys) } }

    func drop(_ keys: [SubscriptionKey]) { state.withLock { $0.machine.subscriptions.drop(keys) } }

    /// Why the session stopped for good (e.g. `R10001`), if it did.
    var stoppedFor: String? { state.withLock { $0.stoppedFor } }

    var subscriptions: SubscriptionManager { state.withLock { $0.machine.subscriptions } }

    private var shouldEnd: Bool { state.withLock { $0.stopRequested || $0.stoppedFor != nil } }

    /// Connects and reconnects until stopped or cancelled.
    func run() async {
        // The first connect is counted here; every later one was counted by `nextDelay` (counting it twice
        // halved the frequency caps: the fourth connect in a minute waited a whole minute).
        let first = clock.now
        state.withLock { $0.policy.recordConnect(at: first) }
        while !shouldEnd, !Task.isCancelled {
            do {
                let credential = try await self.credential()
                try await WebSocketClient.connect(
                    url: settings.url, configuration: .init(maxFrameSize: 1 << 22), logger: logger
                ) { inbound, outbound, _ in
                    try await self.connection(inbound: inbound, outbound: outbound, credential: credential)
                }
            } catch is CancellationError {
            } catch {
                logger.warning("session ended with an error", metadata: ["collector.error": "\(error)"])
            }
            let restore = state.withLock { state -> Int in
                state.disconnectedAt = self.clock.now
                return state.machine.disconnected()
            }
            publishConfirmed()
            if shouldEnd || Task.isCancelled { break }
            sink.reconnect(provider)
            let delay = state.withLock { state -> Duration in
                if state.healthy { state.policy.reset() }
                state.healthy = false
                return state.policy.nextDelay(now: self.clock.now)
            }
            logger.notice("disconnected; reconnecting", metadata: [
                "collector.delay_ms": "\(Int(delay.timeInterval * 1000))", "collector.restore": "\(restore)",
            ])
            await pause(delay)
        }
    }

    /// Sleeps up to `delay`, waking early when a stop is requested.
    private func pause(_ delay: Duration) async {
        let end = clock.now.addingTimeInterval(delay.timeInterval)
        while clock.now < end, !shouldEnd {
            do { try await clock.sleep(until: min(clock.now.addingTimeInterval(0.1), end)) } catch { return }
        }
    }

    private struct Close: Error {
        var reason: String
    }

    private func connection(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, credential: String) async throws {
        let now = clock.now
        sink.connected(session: name)
        let (outputs, gap) = state.withLock { state -> ([SessionOutput], TimeInterval?) in
            state.watchdog.connectionRestarted(at: now)
            let gap = state.disconnectedAt.map { now.timeIntervalSince($0) }
            state.disconnectedAt = nil
            state.credential = credential
            return (state.machine.connected(credential: credential, now: now), gap)
        }
        if let gap {
            sink.gap(provider, seconds: gap)
            let restoring = state.withLock { $0.machine.subscriptions.desired.count }
            await sink.alert(
                "session.gap", "\(name) reconnected after \(String(format: "%.1f", gap)) s without data; restoring \(restoring) subscription(s)",
                provider: provider, session: name, at: now
            )
        }
        try await perform(outputs, outbound: outbound, at: now)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await message in inbound.messages(maxSize: 1 << 22) {
                    let received = self.clock.now
                    self.sink.frame(self.provider)
                    switch message {
                    case .text(let text):
                        self.sink.forward(text, provider: self.provider)
                        let outputs = self.state.withLock { $0.machine.receive(text, at: received) }
                        try await self.perform(outputs, outbound: outbound, at: received)
                    case .binary(let buffer):
                        self.sink.malformed(self.provider, session: self.name, raw: String(buffer: buffer), reason: "binary message", at: received)
                    }
                }
            }
            group.addTask { try await self.timer(outbound: outbound) }
            defer { group.cancelAll() }
            do {
                try await group.next()
            } catch let close as Close {
                logger.info("closing the session", metadata: ["collector.reason": "\(close.reason)"])
                try? await outbound.close(.normalClosure, reason: close.reason)
            }
        }
    }

    /// Periodic work: acks that timed out, new requests, the watchdog, and a graceful stop.
    private func timer(outbound: WebSocketOutboundWriter) async throws {
        while true {
            try await clock.sleep(for: settings.tickInterval)
            let now = clock.now
            if state.withLock({ $0.stopRequested }) {
                try await stop(outbound: outbound)
                throw Close(reason: "collector shutting down")
            }
            let (resubscribe, reconnect) = state.withLock { state -> (Bool, Bool) in
                defer { (state.resubscribeRequested, state.reconnectRequested) = (false, false) }
                return (state.resubscribeRequested, state.reconnectRequested)
            }
            if reconnect { throw Close(reason: "operator: reconnect") }
            if resubscribe {
                let outputs = state.withLock { $0.machine.resubscribe(now: now) }
                try await perform(outputs, outbound: outbound, at: now)
            }
            let marketOpen = settings.marketOpen(now)
            let (outputs, action) = state.withLock { state -> ([SessionOutput], WatchdogAction?) in
                let outputs = state.machine.tick(now: now)
                // A session carrying nothing (an on-demand one before its first registration) is silent by right.
                guard !state.machine.subscriptions.confirmed.isEmpty else {
                    state.watchdog.connectionRestarted(at: now)
                    return (outputs, nil)
                }
                return (outputs, state.watchdog.evaluate(now: now, marketOpen: marketOpen))
            }
            try await perform(outputs, outbound: outbound, at: now)
            publishConfirmed()
            guard let action else { continue }
            let silence = state.withLock { $0.watchdog.silence(now: now) }.map { Int($0.timeInterval) } ?? 0
            await sink.alert("watchdog.silence", "\(name): no data for \(silence) s during market hours; action \(action)", provider: provider, session: name, at: now)
            switch action {
            case .warn: break
            case .resubscribe:
                let outputs = state.withLock { $0.machine.resubscribe(now: now) }
                try await perform(outputs, outbound: outbound, at: now)
            case .reconnect:
                throw Close(reason: "watchdog: silent session")
            }
        }
    }

    /// Unsubscribes everything and waits (bounded) for the acks.
    private func stop(outbound: WebSocketOutboundWriter) async throws {
        let now = clock.now
        let outputs = state.withLock { $0.machine.unsubscribeAll(now: now) }
        try await perform(outputs, outbound: outbound, at: now)
        let end = now.addingTimeInterval(settings.shutdownAckWait.timeInterval)
        while clock.now < end, state.withLock({ !$0.machine.subscriptions.pending.isEmpty }) {
            try await clock.sleep(for: .milliseconds(20))
        }
        try await clock.sleep(for: settings.shutdownLinger)
    }

    private func perform(_ outputs: [SessionOutput], outbound: WebSocketOutboundWriter, at now: Date) async throws {
        guard !outputs.isEmpty else { return }
        var confirmedMayChange = false
        for output in outputs {
            switch output {
            case .send(let text):
                confirmedMayChange = true
                try await outbound.write(.text(text))
            case .records(let records):
                state.withLock {
                    $0.watchdog.observeData(at: now)
                    $0.healthy = true
                }
                await sink.records(records, provider: provider, receivedAt: now)
            case .alert(let kind, let message, let symbol):
                confirmedMayChange = true
                await sink.alert(kind, message, provider: provider, symbol: symbol, session: name, at: now)
            case .malformed(let raw, let reason):
                sink.malformed(provider, session: name, raw: raw, reason: reason, at: now)
                let unparsed = state.withLock { state -> Int? in
                    state.unparsedSinceAlert += 1
                    if let last = state.lastParserAlert, now.timeIntervalSince(last) < Self.parserAlertWindow { return nil }
                    defer { state.unparsedSinceAlert = 0 }
                    state.lastParserAlert = now
                    return state.unparsedSinceAlert
                }
                if let unparsed {
                    await sink.alert(
                        "parser.failure", "\(name): \(unparsed) frame(s) could not be parsed (kept raw), e.g. \(reason.prefix(200))",
                        provider: provider, session: name, at: now
                    )
                }
            case .fragmented(let parts):
                sink.fragmented(provider, session: name, parts: parts, at: now)
            case .raw(let raw, let note):
                sink.keep(provider, session: name, raw: raw, note: note, at: now)
            case .stop(let reason):
                state.withLock { $0.stoppedFor = reason }
                throw Close(reason: reason)
            case .credentialRefused(let reason):
                try await credentialRefused(reason, at: now)
            }
        }
        if confirmedMayChange { publishConfirmed() }
    }

    /// Drops the refused credential so that the reconnect gets a new one — once in `reissueWindow`; refused
    /// again within it, the session stops (a re-issue loop would only burn the broker's issuance limits).
    private func credentialRefused(_ reason: String, at now: Date) async throws {
        let (refused, reissue) = state.withLock { state -> (String?, Bool) in
            if let last = state.lastReissue, now.timeIntervalSince(last) < Self.reissueWindow { return (state.credential, false) }
            state.lastReissue = now
            return (state.credential, true)
        }
        guard reissue else {
            let why = "credential refused again after a re-issue: \(reason)"
            await sink.alert("session.credential_refused", "\(name): \(why); not reconnecting", provider: provider, session: name, at: now)
            state.withLock { $0.stoppedFor = why }
            throw Close(reason: why)
        }
        if let refused { await invalidate(refused) }
        await sink.alert("session.credential_reissued", "\(name): \(reason); a new one is issued and the session reconnects", provider: provider, session: name, at: now)
        throw Close(reason: "credential refused")
    }

    private func publishConfirmed() {
        let count = state.withLock { $0.machine.subscriptions.confirmed.count }
        sink.confirmed(session: name, provider: provider, count: count)
    }
}
