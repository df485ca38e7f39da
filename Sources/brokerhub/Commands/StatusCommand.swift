import ArgumentParser
import AsyncHTTPClient
import BrokerWire
import Foundation
import NIOCore

/// `brokerhub status`: one screen of a running hub — providers (sends, budget use, breaker, token expiry),
/// queue per priority, sharing, lowered budgets — from its `/v1/status`.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running hub's state on one screen (from its /v1/status; no secret is printed).",
        discussion: """
        The API key, when the hub has keys, comes from BROKERHUB_API_KEY (never a flag: it would show in the \
        process list). Exit codes: 0 shown, 69 the hub is not reachable or not answering, 77 the key was refused.
        """
    )

    @Option(help: "The hub's base URL (default: BROKERHUB_HUB_URL or http://127.0.0.1:8080).")
    var hub: String?

    @Flag(help: "Print the status JSON as the hub answered it.")
    var json = false

    @Option(help: "Seconds to wait for the hub.")
    var timeout: Double = 10

    func run() async throws {
        let endpoint = HubEndpoint(hub)
        let base = endpoint.base
        var request = HTTPClientRequest(url: base + "/v1/status")
        if let key = endpoint.apiKey { request.headers.add(name: "X-API-Key", value: key) }
        let body: String
        let status: UInt
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(max(0.1, min(timeout, 300)) * 1000)))
            status = response.status.code
            body = String(buffer: try await response.body.collect(upTo: 4 << 20))
        } catch {
            CLIExit.report("the hub at \(base) is not reachable: \(error)")
            throw ExitCode(CLIExit.unavailable)
        }
        guard status == 200 else {
            let answer = (try? JSONParser.parse(Array(body.utf8)))?["error"]
            let reason = answer.map { "\($0["code"]?.text ?? "") \($0["message"]?.text ?? "")" } ?? String(body.prefix(200))
            CLIExit.report("the hub at \(base) answered HTTP \(status): \(reason)")
            throw ExitCode(status == 401 || status == 403 ? CLIExit.noPermission : CLIExit.unavailable)
        }
        if json {
            print(body)
            return
        }
        guard let value = try? JSONParser.parse(Array(body.utf8)) else {
            CLIExit.report("the hub at \(base) answered a status that is not JSON")
            throw ExitCode(CLIExit.unavailable)
        }
        FileHandle.standardOutput.write(Data(StatusScreen.render(value, url: base).utf8))
    }
}
