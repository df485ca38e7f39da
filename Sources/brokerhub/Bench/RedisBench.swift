import ArgumentParser
import Logging
import RedisClient
import Foundation

/// `brokerhub bench redis`: round trips and throughput of the project's RESP client against a real Redis.
struct RedisBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis",
        abstract: "Sequential PING/SET round trips, pipelined SET throughput and concurrent throughput against Redis."
    )

    @Option(help: "Redis URL (keys use the prefix brokerhub-bench: and are deleted afterwards).")
    var url: String

    @Option(help: "Seconds per measurement.")
    var seconds: Double = 5

    @Option(help: "Commands per pipelined batch.")
    var batch = 100

    @Option(help: "Concurrent tasks for the concurrent measurement.")
    var tasks = 16

    func run() async throws {
        #if DEBUG
        print("warning: debug build; figures are only meaningful with `swift run -c release brokerhub bench redis`")
        #endif
        var logger = Logger(label: "brokerhub.bench")
        logger.logLevel = .error
        let client = RedisClient(configuration: try RedisConfiguration(url: url), logger: logger)
        let duration = Duration.milliseconds(Int64(seconds * 1000))
        let value = RESPArgument.bytes(Array(repeating: UInt8(ascii: "x"), count: 64))
        _ = try await client.ping()

        let ping = try await measure(for: duration) { _ in
            _ = try await client.send("PING")
            return 1
        }
        report("sequential PING", ping, unit: "round trips/s")

        let set = try await measure(for: duration) { n in
            _ = try await client.send("SET", .string("brokerhub-bench:seq:\(n % 1000)"), value)
            return 1
        }
        report("sequential SET (64 B)", set, unit: "round trips/s")

        let commands: [[RESPArgument]] = (0..<batch).map { ["SET", .string("brokerhub-bench:pipe:\($0)"), value] }
        let pipelined = try await measure(for: duration) { _ in
            let results = try await client.pipeline(commands)
            return results.count
        }
        report("pipelined SET, batches of \(batch)", pipelined, unit: "commands/s")

        let concurrent = try await measureConcurrently(for: duration, tasks: tasks) { task, n in
            _ = try await client.send("SET", .string("brokerhub-bench:conc:\(task):\(n % 100)"), value)
        }
        report("concurrent SET, \(tasks) tasks", concurrent, unit: "commands/s")

        var cleanup: [[RESPArgument]] = []
        for n in 0..<1000 { cleanup.append(["DEL", .string("brokerhub-bench:seq:\(n)")]) }
        for n in 0..<batch { cleanup.append(["DEL", .string("brokerhub-bench:pipe:\(n)")]) }
        for task in 0..<tasks { for n in 0..<100 { cleanup.append(["DEL", .string("brokerhub-bench:conc:\(task):\(n)")]) } }
        _ = try await client.pipeline(cleanup)
        await client.shutdown()
    }

    private func report(_ name: String, _ result: (count: Int, elapsed: Duration), unit: String) {
        let perSecond = Double(result.count) / result.elapsed.timeInterval
        let padded = name.padding(toLength: 36, withPad: " ", startingAt: 0)
        print("\(padded) \(Int(perSecond.rounded())) \(unit)  (\(result.count) in \(String(format: "%.2f", result.elapsed.timeInterval)) s)")
    }

    /// Runs `body` sequentially until `duration` has passed; `body` returns how many commands it completed.
    private func measure(for duration: Duration, _ body: (Int) async throws -> Int) async throws -> (count: Int, elapsed: Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        var count = 0
        var iteration = 0
        while clock.now - start < duration {
            count += try await body(iteration)
            iteration += 1
        }
        return (count, clock.now - start)
    }

    private func measureConcurrently(
        for duration: Duration, tasks: Int, _ body: @escaping @Sendable (Int, Int) async throws -> Void
    ) async throws -> (count: Int, elapsed: Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var n = 0
                    while clock.now - start < duration {
                        try await body(task, n)
                        n += 1
                    }
                    return n
                }
            }
            return try await group.reduce(0, +)
        }
        return (total, clock.now - start)
    }
}


