import Archiver
import ArgumentParser
import BrokerCore
import Foundation
import History
import HubServer
import Logging
import ServiceLifecycle

/// Which hub `history`, `verify` and `backfill` go through: a running one (`--hub URL`, the default), or one in this
/// process (`--embedded`: the hub `serve` would run from the same variables or `--config`, its store locked meanwhile,
/// no schedule of its own) — either way its token, budget and queue at backfill priority.
struct HubOptions: ParsableArguments {
    @Option(help: "The hub's base URL (default: BROKERHUB_HUB_URL or http://127.0.0.1:8080).")
    var hub: String?

    @Flag(help: "Run the hub in this process, configured as `serve` would be (its variables, --config), instead of calling a running one.")
    var embedded = false

    @Option(help: "With --embedded: the hub's JSON configuration file.")
    var config: String?

    func validate() throws {
        if embedded, hub != nil { throw ValidationError("--embedded runs its own hub: leave out --hub") }
        if config != nil, !embedded { throw ValidationError("--config configures an --embedded hub") }
    }

    /// Runs `body` with the hub's candles and trades: over HTTP from the running hub (which must answer: else the
    /// archive is closed and the command exits 69), or from a hub started in this process and stopped afterwards.
    func withSource<T: Sendable>(
        closing store: any ArchiveSink, consequence: String, logger: Logger, _ body: (any HistorySource) async throws -> T
    ) async throws -> T {
        guard embedded else {
            let endpoint = HubEndpoint(hub)
            try await endpoint.requireAnswering(closing: store, consequence: consequence)
            return try await body(endpoint.source)
        }
        var configuration: HubConfiguration
        let application: HubApplication
        do {
            configuration = try HubConfiguration.load(file: config)
            configuration.host = "127.0.0.1"
            configuration.port = 0
            configuration.snapshotMode = nil
            try StoreLock.acquire(for: configuration)
            application = try HubApplication(configuration: configuration, logger: logger)
        } catch let error as StoreLock.LockError {
            try? await store.close()
            CLIExit.report("\(error) — \(consequence)")
            throw ExitCode(CLIExit.unavailable)
        } catch {
            try? await store.close()
            CLIExit.report("the embedded hub cannot start: \((error as? BrokerHubError)?.message ?? "\(error)") — \(consequence)")
            throw ExitCode(CLIExit.usage)
        }
        let group = ServiceGroup(configuration: .init(services: application.services(), logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let result: Result<T, any Error>
            do {
                result = .success(try await body(HubHistorySource(hub: application.hub)))
            } catch {
                result = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            return try result.get()
        }
    }
}
