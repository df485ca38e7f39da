import AsyncHTTPClient
import BrokerCore
import BrokerWire
import Foundation
import HubEngine
import NIOCore

/// Calls a running hub's `POST /v1/execute` (a standalone `brokerhub snapshot --hub URL`): the hub's token,
/// budget and priority queue serve the schedule like every other caller. The hub's errors come back as
/// `BrokerHubError`s with the hub's own codes; the API key is sent as `X-API-Key` and never logged.
public struct HTTPSnapshotSource: SnapshotSource {
    let executeURL: String
    let apiKey: String?
    let timeout: Duration
    let client: HTTPClient

    public init(hub: String, apiKey: String? = nil, timeout: Duration = .seconds(30), client: HTTPClient = .shared) {
        executeURL = (hub.hasSuffix("/") ? String(hub.dropLast()) : hub) + "/v1/execute"
        self.apiKey = apiKey
        self.timeout = timeout
        self.client = client
    }

    public func fetch(_ call: SnapshotCall) async throws -> SnapshotAnswer {
        var params = JSONWriter.Object()
        for (name, value) in call.parameters.sorted(by: { $0.key < $1.key }) { params.add(name, value) }
        var body = JSONWriter.Object()
        body.add("provider", call.provider.rawValue)
        body.add("tr_id", call.transaction)
        body.add("params", raw: params.json)
        body.add("priority", call.priority.name)
        body.add("timeout_ms", Int64(timeout.timeInterval * 1000))
        var request = HTTPClientRequest(url: executeURL)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        if let apiKey { request.headers.add(name: "x-api-key", value: apiKey) }
        request.body = .bytes(ByteBuffer(string: body.json))
        let status: UInt
        let bytes: [UInt8]
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(timeout.timeInterval) + 5))
            status = response.status.code
            bytes = Array(buffer: try await response.body.collect(upTo: 16 << 20))
        } catch {
            throw BrokerHubError(.unavailable, "hub \(executeURL) not reached", underlying: error)
        }
        let document = try HubAnswer.document(status: status, body: bytes)
        let quotes = try (document["records"]?.arrayValue ?? []).filter { $0["type"]?.stringValue == "quote" }.map(RecordJSON.decodeQuote)
        let skipped = (document["skipped"]?.arrayValue ?? []).compactMap(\.stringValue)
        return SnapshotAnswer(quotes: quotes, skipped: skipped)
    }
}
