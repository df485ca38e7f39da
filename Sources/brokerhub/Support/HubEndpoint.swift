import Archiver
import ArgumentParser
import AsyncHTTPClient
import BrokerCore
import Foundation
import History

/// The running hub a command works through (`status`, `snapshot`, `history`, `verify`, `backfill`, `recover`): `--hub`, else `BROKERHUB_HUB_URL`, else
/// http://127.0.0.1:8080; the API key from `BROKERHUB_API_KEY` (never printed).
struct HubEndpoint {
    let base: String
    let apiKey: String?

    init(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        base = (option ?? environment["BROKERHUB_HUB_URL"] ?? "http://127.0.0.1:8080").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        apiKey = environment["BROKERHUB_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
    }

    var source: HTTPHistorySource { HTTPHistorySource(hub: base, apiKey: apiKey) }

    /// Returns when the hub answers `/health`; otherwise closes `store` and exits 69 (a client keeps retrying a refused
    /// connection until its deadline, so this is asked once, up front).
    func requireAnswering(closing store: any ArchiveSink, consequence: String) async throws {
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/health"), timeout: .seconds(5))
            guard response.status.code == 200 else { throw BrokerHubError(.invalidArgument, "HTTP \(response.status.code)") }
        } catch {
            try? await store.close()
            CLIExit.report("the hub at \(base) is not answering (\(error)); start it, or name it with --hub — \(consequence)")
            throw ExitCode(CLIExit.unavailable)
        }
    }
}
