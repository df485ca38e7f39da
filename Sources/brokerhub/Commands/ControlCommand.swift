import ArgumentParser
import BrokerWire
import Collector
import Foundation
import Logging
import RedisClient

/// `brokerhub control drain|resubscribe|reconnect|shutdown`: an operator command to the realtime collectors over
/// the control channel — signed with BROKERHUB_CONTROL_KEY, published on `{prefix}:control`, and every
/// acknowledgement that comes back within `--wait` printed (one JSON line each). Exit 0 when at least one
/// collector performed it, 1 when none did (refused, or nobody listening), 64 for a bad argument.
struct ControlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Send a signed operator command (drain, resubscribe, reconnect, shutdown) to the realtime collectors.",
        discussion: """
        Collectors listen when started with `collect --control URL` or, for the realtime gateway's sessions, `serve` with \
        BROKERHUB_CONTROL_URL; both need the same BROKERHUB_CONTROL_KEY. drain: no new registrations (clients get the \
        broker's cap answer), current ones keep flowing. resubscribe: every session sends its registrations again. \
        reconnect: every session closes and reconnects. shutdown: unsubscribe, close, end the process gracefully.
        """
    )

    @Argument(help: "drain, resubscribe, reconnect or shutdown.")
    var command: String

    @Option(help: "The control channel's Redis (redis://host:port/db).")
    var redis: String

    @Option(help: "Key prefix of the control channel.")
    var prefix: String = "bh"

    @Option(help: "Only the collector of this name (its run id, shown in the acknowledgements); default every one.")
    var target: String = "*"

    @Option(help: "Seconds to wait for acknowledgements.")
    var wait: Double = 5

    func run() async throws {
        guard let parsed = ControlEnvelope.Command(rawValue: command) else {
            CLIExit.report("unknown command \(command): drain, resubscribe, reconnect or shutdown")
            throw ExitCode(CLIExit.usage)
        }
        guard let key = ProcessInfo.processInfo.environment["BROKERHUB_CONTROL_KEY"], key.utf8.count >= 16 else {
            CLIExit.report("set BROKERHUB_CONTROL_KEY (16 characters at least), the key the collectors check commands with")
            throw ExitCode(CLIExit.usage)
        }
        var logger = Logger(label: "brokerhub.control")
        logger.logLevel = .error
        let client = RedisClient(configuration: try RedisConfiguration(url: redis), logger: logger)
        let done: Int
        do {
            done = try await send(envelope: ControlEnvelope(command: parsed, target: target, issuedAt: Date()), key: key, client: client)
            await client.shutdown()
        } catch {
            await client.shutdown()
            CLIExit.report("the control channel at \((try? RedisConfiguration(url: redis))?.redactedURL ?? "?") is not reachable: \(error)")
            throw ExitCode(CLIExit.unavailable)
        }
        if done == 0 {
            CLIExit.report("no collector performed \(command) within \(wait) s")
            throw ExitCode(1)
        }
    }

    /// Publishes the signed command and prints its acknowledgements; returns how many collectors performed it.
    private func send(envelope: ControlEnvelope, key: String, client: RedisClient) async throws -> Int {
        let channels = CollectorControl.channels(prefix: prefix)
        let acks = try await client.subscribe(channels: [channels.acks])
        _ = try await client.send("PUBLISH", .string(channels.commands), .string(envelope.signed(key: key)))
        var done = 0
        let deadline = ContinuousClock.now + .milliseconds(Int(wait * 1000))
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(until: deadline)
                acks.cancel()
            }
            for await message in acks {
                guard let json = try? JSONParser.parse(message.payload), json["id"]?.stringValue == envelope.id else { continue }
                print(message.payloadString)
                if json["outcome"]?.stringValue == "done" { done += 1 }
            }
            group.cancelAll()
        }
        return done
    }
}
