import ArgumentParser
import BrokerCore
import Foundation
import HubServer
import Logging

/// `brokerhub serve`: the hub (HTTP API, proxy, workers) on the embedded store.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the hub: HTTP API, broker-native proxy and workers (embedded SQLite store, or Redis with --redis).",
        discussion: """
        Configuration comes from defaults, a JSON file (--config or BROKERHUB_CONFIG), BROKERHUB_* variables and the \
        flags below, in that order. Broker credentials come from BROKERHUB_KIS_APPKEY / BROKERHUB_KIS_APPSECRET, \
        BROKERHUB_KIWOOM_APPKEY / BROKERHUB_KIWOOM_SECRETKEY (or BROKERHUB_SECRETS_FILE) — never from flags. \
        With --redis (or BROKERHUB_REDIS_URL) several hub processes share one token, one rate budget and one queue; \
        every one of them needs the same BROKERHUB_TOKEN_KEY. See docs/configuration.md and docs/distributed.md.
        """
    )

    @Option(help: "JSON configuration file.")
    var config: String?

    @Option(help: "Address to bind (default 127.0.0.1; other addresses need API keys).")
    var host: String?

    @Option(help: "Port (0 picks a free one).")
    var port: Int?

    @Option(help: "Directory of the embedded store.")
    var dataDir: String?

    @Option(help: "Distributed mode: token store and queue on this Redis, redis://[:password@]host:port/db.")
    var redis: String?

    @Option(help: "The rate limiter's Redis (gatekeeper), if not the --redis one.")
    var gatekeeperRedis: String?

    @Flag(help: "Keep the store in memory (nothing survives a restart).")
    var inMemory = false

    @Option(help: "Write the base URL to this file once listening.")
    var readyFile: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: BROKERHUB_LOG_LEVEL or info).")
    var logLevel: String?

    func run() async throws {
        var configuration: HubConfiguration
        do {
            configuration = try HubConfiguration.load(file: config)
        } catch let error as BrokerHubError {
            throw ValidationError(error.message)
        }
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        if let dataDir { configuration.dataDirectory = dataDir }
        if inMemory { configuration.inMemory = true }
        if let redis { configuration.redisURL = redis }
        if let gatekeeperRedis { configuration.gatekeeperURL = gatekeeperRedis }
        let logger = try ProcessRunner.logger(label: "brokerhub", level: logLevel)
        do {
            try StoreLock.acquire(for: configuration)
        } catch {
            CLIExit.report("\(error)")
            throw ExitCode(CLIExit.unavailable)
        }
        let application: HubApplication
        do {
            application = try HubApplication(configuration: configuration, logger: logger)
        } catch let error as BrokerHubError {
            CLIExit.report(error.message)
            throw ExitCode(CLIExit.usage)
        }
        let readyFile = self.readyFile
        let host = configuration.host
        try await application.run { port in
            let url = "http://\(host):\(port)"
            FileHandle.standardOutput.write(Data("brokerhub listening on \(url) (dashboard \(url)/dashboard)\n".utf8))
            if let readyFile { try? Data((url + "\n").utf8).write(to: URL(fileURLWithPath: readyFile)) }
        }
    }
}
