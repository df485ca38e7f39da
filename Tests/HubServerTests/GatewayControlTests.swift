import BrokerCore
import BrokerWire
import Foundation
import ProcessTestSupport
import Testing

/// Issue #15 item 4: signed operator commands on the Redis control channel reach the gateway's collector — each
/// acknowledged, logged, refused without the control key — through `brokerhub control` and a hub process.
@Suite("Gateway control channel", .timeLimit(.minutes(5)))
struct GatewayControlTests {
    static let key = "control-key-for-the-tests-0123456789"

    static func control(_ command: String, redis: String, key: String = key, directory: URL) async throws -> (status: Int32, output: String) {
        try await ServerProcess.run(["control", command, "--redis", redis, "--wait", "3"], environment: ["BROKERHUB_CONTROL_KEY": key], directory: directory)
    }

    @Test(.enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed (scripts/install-deps.sh installs it)"))
    func operatorCommandsAreSignedAcknowledgedAndPerformed() async throws {
        let redis = try await RedisServerProcess.start()
        try await withCleanup({ await redis.stop() }) {
            let environment = GatewayTests.environment(["BROKERHUB_CONTROL_URL": redis.url, "BROKERHUB_CONTROL_KEY": Self.key])
            try await HubStack.with(mockArguments: GatewayTests.gentle, hubEnvironment: environment) { stack in
                let hub = stack.hub.url
                let directory = stack.mock.directory
                let symbols = try await GatewayTests.symbols(stack, 2)
                let client = GatewayTestClient.connect("ws" + hub.dropFirst(4) + "/tryitout")
                client.send(GatewayTests.subscribe(try await GatewayTests.approval(hub), symbols[0]))
                try await client.wait("frames") { GatewayTests.frames($0, of: symbols[0]).count >= 10 }
                let sessions = try #require(try await stack.mockStats()["ws_sessions_total"]?.intValue)

                // A command signed with another key is refused and says why; nothing happens.
                let forged = try await Self.control("reconnect", redis: redis.url, key: "not-the-control-key-at-all", directory: directory)
                #expect(forged.status == 1)
                #expect(forged.output.contains(#""outcome":"refused""#) && forged.output.contains("bad_signature"), "\(forged.output)")

                // reconnect: the session closes and comes back with its registration; the client keeps receiving.
                let reconnect = try await Self.control("reconnect", redis: redis.url, directory: directory)
                #expect(reconnect.status == 0, "\(reconnect.output)")
                #expect(reconnect.output.contains(#""outcome":"done""#) && reconnect.output.contains(#""command":"reconnect""#))
                try await GatewayTests.waitForMock(stack, sessions: 1, subscriptions: 1)
                var total = 0
                for _ in 0..<200 where total <= sessions {
                    total = try await stack.mockStats()["ws_sessions_total"]?.intValue ?? 0
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(total == sessions + 1, "one new broker session after reconnect")
                let before = GatewayTests.frames(client.texts, of: symbols[0]).count
                try await client.wait("frames after the reconnect") { GatewayTests.frames($0, of: symbols[0]).count >= before + 20 }

                #expect(try await Self.control("resubscribe", redis: redis.url, directory: directory).status == 0)

                // drain: what is held keeps flowing, nothing new is taken — the broker's own cap answer.
                let drain = try await Self.control("drain", redis: redis.url, directory: directory)
                #expect(drain.status == 0 && drain.output.contains("draining"), "\(drain.output)")
                client.send(GatewayTests.subscribe(try await GatewayTests.approval(hub), symbols[1]))
                let answers = try await client.wait("the answer while draining") { $0.compactMap(GatewayTests.ackCode).count >= 2 }
                #expect(answers.compactMap(GatewayTests.ackCode).last == "OPSP0008")
                let held = GatewayTests.frames(client.texts, of: symbols[0]).count
                try await client.wait("frames while draining") { GatewayTests.frames($0, of: symbols[0]).count >= held + 20 }
                await client.close()

                // shutdown: acknowledged, then the hub ends gracefully on its own.
                let shutdown = try await Self.control("shutdown", redis: redis.url, directory: directory)
                #expect(shutdown.status == 0, "\(shutdown.output)")
                #expect(await stack.hub.waitForExit(within: .seconds(30)), "the hub did not end after shutdown")
                #expect(stack.hub.process.terminationStatus == 0)
                let log = stack.hub.output
                #expect(log.contains("control command performed") && log.contains("control message refused"))
                #expect(!log.contains(Self.key), "the control key never reaches a log line")
            }
        }
    }

    @Test func aCommandWithoutTheKeyIsAUsageError() async throws {
        let directory = FileManager.default.temporaryDirectory
        let missing = try await ServerProcess.run(["control", "drain", "--redis", "redis://127.0.0.1:1/0"], directory: directory)
        #expect(missing.status == 64 && missing.output.contains("BROKERHUB_CONTROL_KEY"))
        let unknown = try await ServerProcess.run(["control", "restart", "--redis", "redis://127.0.0.1:1/0"], environment: ["BROKERHUB_CONTROL_KEY": Self.key], directory: directory)
        #expect(unknown.status == 64 && unknown.output.contains("unknown command"))
    }
}
