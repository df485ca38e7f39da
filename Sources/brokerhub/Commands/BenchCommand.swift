import ArgumentParser

/// `brokerhub bench`: benchmarks that print figures (build with `-c release`).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark and print its figures (use `swift run -c release brokerhub bench …`).",
        subcommands: [ParseBenchCommand.self, HubBenchCommand.self, RedisBenchCommand.self, LimiterBenchCommand.self, BusBenchCommand.self, ArchiveBenchCommand.self, SnapshotBenchCommand.self, GatewayBenchCommand.self]
    )
}
