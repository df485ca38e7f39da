import BrokerCore
import BrokerWire
import Foundation
import Logging
import Metrics
import RedisClient
import ServiceLifecycle
import Synchronization

/// The collectors' control channel on Redis: signed operator commands (`ControlEnvelope`: `drain`, `resubscribe`,
/// `reconnect`, `shutdown`) published on `{prefix}:control` are checked (signature with the control key, freshness,
/// an id never seen before, the target) and performed on this collector; every one — performed or refused — is
/// acknowledged on `{prefix}:control:ack` with its id and logged without its signature, and counted in
/// `brokerhub_control_commands_total{command,outcome}`. A `Service`; `shutdown` ends the process through
/// `onShutdown` (its graceful path: SIGTERM to itself by default).
public final class CollectorControl: Service, Sendable {
    /// The channel commands arrive on, and the one acknowledgements go to.
    public static func channels(prefix: String) -> (commands: String, acks: String) { ("\(prefix):control", "\(prefix):control:ack") }

    private let redis: RedisClient
    private let key: String
    private let name: String
    private let collector: Collector
    private let channels: (commands: String, acks: String)
    private let clock: any HubClock
    private let logger: Logger
    private let onShutdown: @Sendable () -> Void
    /// Ids performed or refused in the last `maxAge`, so a replayed message is refused.
    private let seen = Mutex<[String: Date]>([:])
    private let maxAge: TimeInterval = 60

    /// - Parameters:
    ///   - name: this collector's name in `target` and in acknowledgements (its run id by default).
    ///   - key: the control key (BROKERHUB_CONTROL_KEY): a secret, never logged.
    public init(
        redis: RedisClient, prefix: String, key: String, collector: Collector, name: String? = nil, clock: any HubClock = SystemClock(),
        logger: Logger, onShutdown: @escaping @Sendable () -> Void = { kill(getpid(), SIGTERM) }
    ) {
        self.redis = redis
        self.key = key
        self.collector = collector
        self.name = name ?? collector.runID
        channels = Self.channels(prefix: prefix)
        self.clock = clock
        var logger = logger
        logger[metadataKey: "control.collector"] = "\(self.name)"
        self.logger = logger
        self.onShutdown = onShutdown
    }

    public func run() async throws {
        let subscription = try await redis.subscribe(channels: [channels.commands])
        logger.info("control channel open", metadata: ["control.channel": "\(channels.commands)"])
        await withGracefulShutdownHandler {
            for await message in subscription {
                await handle(message.payloadString)
            }
        } onGracefulShutdown: {
            subscription.cancel()
        }
    }

    /// Checks and performs one message from the channel; the acknowledgement says what happened.
    func handle(_ text: String) async {
        let now = clock.now
        switch ControlEnvelope.verify(text, key: key, now: now, maxAge: maxAge) {
        case .failure(let refusal):
            count("unknown", outcome: refusal.code)
            logger.warning("control message refused", metadata: ["control.refusal": "\(refusal.code)", "control.reason": "\(refusal.message)"])
            let id = (try? JSONParser.parse(text))?["id"]?.stringValue ?? ""
            await acknowledge(id: String(id.prefix(100)), command: "", outcome: "refused", detail: refusal.description)
        case .success(let envelope):
            guard envelope.isFor(name) else { return }
            let fresh = seen.withLock { seen -> Bool in
                seen = seen.filter { now.timeIntervalSince($0.value) <= 2 * maxAge }
                guard seen[envelope.id] == nil else { return false }
                seen[envelope.id] = now
                return true
            }
            guard fresh else {
                count(envelope.command.rawValue, outcome: "replayed")
                logger.warning("control command replayed; refused", metadata: ["control.id": "\(envelope.id)", "control.command": "\(envelope.command.rawValue)"])
                await acknowledge(id: envelope.id, command: envelope.command.rawValue, outcome: "refused", detail: "replayed: this id was seen before")
                return
            }
            let detail = collector.perform(envelope.command)
            count(envelope.command.rawValue, outcome: "done")
            logger.notice("control command performed", metadata: [
                "control.id": "\(envelope.id)", "control.command": "\(envelope.command.rawValue)", "control.detail": "\(detail)",
            ])
            await acknowledge(id: envelope.id, command: envelope.command.rawValue, outcome: "done", detail: detail)
            if envelope.command == .shutdown { onShutdown() }
        }
    }

    private func acknowledge(id: String, command: String, outcome: String, detail: String) async {
        let ack = ControlEnvelope.acknowledgement(id: id, collector: name, command: command, outcome: outcome, detail: detail)
        do {
            _ = try await redis.send("PUBLISH", .string(channels.acks), .string(ack))
        } catch {
            logger.warning("control acknowledgement not published", metadata: ["control.error": "\(error)"])
        }
    }

    private func count(_ command: String, outcome: String) {
        Counter(label: "brokerhub_control_commands_total", dimensions: [("command", command), ("outcome", outcome)]).increment()
    }
}
