import Alerts
import Archiver
import BrokerClients
import BrokerCore
import BrokerWire
import Foundation
import HTTPTypes
import HubEngine
import Hummingbird
import RealtimeGateway
import Snapshots
import NIOCore

/// Route handlers. Thin: they parse, call the `Hub`, and render.
struct HubRoutes: Sendable {
    let hub: Hub
    let localTokens: LocalTokens
    let configuration: HubConfiguration
    let clock: any HubClock
    let startedAt: Date
    /// The hub's snapshot schedule, shown in `/v1/status`.
    var snapshots: SnapshotCollector? = nil
    /// The hub's alerts, whose recent notices `/v1/status` lists.
    var alerts: AlertService? = nil
    /// The pipeline's live records for `/v1/stream`, when the hub has a bus.
    var feed: LiveFeed? = nil
    /// The pipeline's ledger readings for `/v1/status`, when the hub has a bus and an archive.
    var ledger: LedgerMonitor? = nil
    /// The realtime gateway whose clients and registrations `/v1/status` shows, when the hub runs one.
    var gateway: RealtimeGateway? = nil
    /// Recent `/v1/candles` bodies, reused for equal answers (cache hits).
    let renderedCandles = RenderedCandles()

    /// Registers every route on `router`, recording each in `table` (for 404 vs 405).
    func register(on router: Router<BasicRequestContext>, table: RouteTable) {
        func on(_ path: String, _ method: HTTPRequest.Method, _ handler: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response) {
            table.add(path, method)
            router.on(RouterPath(path), method: method) { request, context in try await handler(request, context) }
        }
        on("/v1/execute", .post) { request, _ in try await execute(request) }
        on("/v1/jobs", .post) { request, _ in try await submitJob(request) }
        on("/v1/jobs/:id", .get) { request, context in try await job(context.parameters.require("id"), caller: caller(of: request)) }
        on("/v1/jobs/:id", .delete) { request, context in try await cancelJob(context.parameters.require("id"), caller: caller(of: request)) }
        on("/v1/quotes/:symbol", .get) { request, context in try await quote(request, symbol: context.parameters.require("symbol")) }
        on("/v1/candles/:symbol", .get) { request, context in try await candles(request, symbol: context.parameters.require("symbol")) }
        on("/v1/trades/:symbol", .get) { request, context in try await trades(request, symbol: context.parameters.require("symbol")) }
        on("/v1/catalog", .get) { _, _ in catalog() }
        on("/v1/status", .get) { _, _ in try await status() }
        on("/v1/stream", .get) { request, _ in try await stream(request) }
        on("/health", .get) { _, _ in Response.json(#"{"status":"ok"}"#) }
        on("/ready", .get) { _, _ in try await ready() }
        on("/metrics", .get) { _, _ in try await metrics() }
        on("/dashboard", .get) { _, _ in dashboard() }
        on("/dashboard/login", .post) { request, _ in try await login(request) }
        on("/dashboard/logout", .post) { _, _ in Dashboard.redirect(settingKey: nil) }
        on("/openapi.json", .get) { _, _ in Response.json(OpenAPIDocument.json) }
        let proxy = ProxyRoutes(hub: hub, localTokens: localTokens, configuration: configuration)
        for method in [HTTPRequest.Method.get, .post] {
            on("/kis/**", method) { request, _ in try await proxy.kis(request, path: String(request.uri.path.dropFirst(4))) }
            on("/kiwoom/**", method) { request, _ in try await proxy.kiwoom(request, path: String(request.uri.path.dropFirst(7))) }
            on("/uapi/**", method) { request, _ in try await proxy.kis(request, path: request.uri.path) }
            on("/api/dostk/**", method) { request, _ in try await proxy.kiwoom(request, path: request.uri.path) }
            on("/oauth2/:endpoint", method) { request, _ in
                let path = request.uri.path
                return ProxyRoutes.provider(ofPath: path) == .kiwoom ? try await proxy.kiwoom(request, path: path) : try await proxy.kis(request, path: path)
            }
        }
    }

    // MARK: Execute and jobs

    /// The caller a request speaks for (a digest of its API key), nil when the hub has no API keys.
    func caller(of request: Request) -> String? {
        guard !configuration.apiKeys.isEmpty, let key = APIKeyMiddleware<BasicRequestContext>.presentedKey(request) else { return nil }
        return HubRequest.caller(apiKey: key)
    }

    /// Members `/v1/execute` and `/v1/jobs` read; any other is refused (a misspelt `timeout_ms` would
    /// otherwise be silently ignored).
    static let requestMembers: Set<String> = [
        "provider", "tr_id", "api_id", "params", "priority", "timeout_ms", "max_pages", "source_type", "idempotency_key", "account",
    ]

    /// Reads a request strictly: every member has its documented type (a number is not a string, `"10"` is
    /// not a number) and range, unknown members are refused — 400 with the member named, never a default.
    func parseRequest(_ body: [String: JSONValue], caller: String? = nil) throws -> HubRequest {
        if let unknown = body.keys.sorted().first(where: { !Self.requestMembers.contains($0) }) {
            throw APIError(.invalidArgument, "unknown member \(unknown.prefix(64)); expected \(Self.requestMembers.sorted().joined(separator: ", "))")
        }
        guard let providerName = try Self.string(body, "provider"), let provider = Provider(rawValue: providerName) else {
            throw APIError(.invalidArgument, "provider must be \"kis\" or \"kiwoom\"")
        }
        guard let transaction = try Self.string(body, "tr_id") ?? Self.string(body, "api_id"), !transaction.isEmpty else {
            throw APIError(.invalidArgument, "tr_id (or api_id) is required")
        }
        var parameters: [String: String] = [:]
        if let params = body["params"] {
            guard let object = params.objectValue else { throw APIError(.invalidArgument, "params must be an object of strings") }
            for (name, value) in object {
                switch value {
                case .string(let text), .number(let text): parameters[name] = text
                default: throw APIError(.invalidArgument, "params.\(name.prefix(64)) must be a string or a number")
                }
            }
        }
        var priority = Priority.interactive
        if let name = try Self.string(body, "priority") {
            guard let parsed = Priority(name: name) else {
                throw APIError(.invalidArgument, "priority must be one of \(Priority.allCases.map(\.name).joined(separator: ", "))")
            }
            priority = parsed
        }
        let timeout = try Self.integer(body, "timeout_ms", in: 1...600_000) ?? 10_000
        let pages = try Self.integer(body, "max_pages", in: 1...100) ?? 1
        var source: SourceType?
        if let name = try Self.string(body, "source_type") {
            guard let parsed = SourceType(rawValue: name) else { throw APIError(.invalidArgument, "unknown source_type \(name.prefix(64))") }
            source = parsed
        }
        return HubRequest(
            provider: provider, transaction: transaction, parameters: parameters, priority: priority, maxPages: pages,
            timeout: .milliseconds(timeout), idempotencyKey: try Self.string(body, "idempotency_key"), account: try Self.string(body, "account"),
            sourceType: source, caller: caller
        )
    }

    /// A member that must be a string when present.
    static func string(_ body: [String: JSONValue], _ name: String) throws -> String? {
        guard let value = body[name], value != .null else { return nil }
        guard case .string(let text) = value else { throw APIError(.invalidArgument, "\(name) must be a string") }
        return text
    }

    /// A member that must be a JSON integer within `range` when present.
    static func integer(_ body: [String: JSONValue], _ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = body[name], value != .null else { return nil }
        guard case .number(let text) = value, let number = Int(text), range.contains(number) else {
            throw APIError(.invalidArgument, "\(name) must be an integer within \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }

    func execute(_ request: Request) async throws -> Response {
        let hubRequest = try parseRequest(try await jsonBody(request), caller: caller(of: request))
        let result = try await api { try await hub.execute(hubRequest) }
        let raw = request.uri.queryParameters.get("raw") == "1"
        return .json(Self.render(result, request: hubRequest, raw: raw))
    }

    static func render(_ result: HubResult, request: HubRequest, raw: Bool) -> String {
        var meta = JSONWriter.Object()
        meta.add("task_id", result.taskID)
        meta.add("provider", request.provider.rawValue)
        meta.add("tr_id", request.transaction)
        meta.add("attempts", Int64(result.attempts))
        meta.add("queue_wait_ms", Int64(result.queueWait.timeInterval * 1000))
        meta.add("pages", Int64(result.pages.count))
        meta.add("cached", result.cached)
        meta.add("coalesced", result.coalesced)
        if let first = result.records.first { meta.add("source_type", first.sourceType.rawValue) }
        var object = JSONWriter.Object()
        object.add("records", raw: "[" + result.records.map(RecordJSON.encode).joined(separator: ",") + "]")
        object.add("skipped", raw: "[" + result.skipped.map { var text = ""; JSONWriter.writeString($0, into: &text); return text }.joined(separator: ",") + "]")
        object.add("meta", raw: meta.json)
        if raw {
            let bodies = result.pages.map { page -> String in
                (try? JSONParser.parse(page.body)).map(JSONWriter.serialize) ?? { var text = ""; JSONWriter.writeString(String(decoding: page.body, as: UTF8.self), into: &text); return text }()
            }
            object.add("raw", raw: "[" + bodies.joined(separator: ",") + "]")
        }
        return object.json
    }

    func submitJob(_ request: Request) async throws -> Response {
        let hubRequest = try parseRequest(try await jsonBody(request), caller: caller(of: request))
        let (record, created) = try await api { try await hub.submit(hubRequest) }
        return .json(try await renderJob(record, request: hubRequest), status: created ? .accepted : .ok, headers: [.location: "/v1/jobs/\(record.task.id)"])
    }

    func job(_ id: String, caller: String?) async throws -> Response {
        guard let record = try await hub.job(id: id) else { throw APIError(.notFound, "no job \(id)") }
        let request = HubRequest(provider: record.task.provider, transaction: record.task.request.transaction, caller: caller)
        return .json(try await renderJob(record, request: request))
    }

    func cancelJob(_ id: String, caller: String?) async throws -> Response {
        guard let record = try await hub.cancel(id: id) else { throw APIError(.notFound, "no job \(id)") }
        let request = HubRequest(provider: record.task.provider, transaction: record.task.request.transaction, caller: caller)
        return .json(try await renderJob(record, request: request))
    }

    func renderJob(_ record: TaskRecord, request: HubRequest) async throws -> String {
        var object = JSONWriter.Object()
        object.add("id", record.task.id)
        object.add("state", record.state.rawValue)
        object.add("provider", record.task.provider.rawValue)
        object.add("tr_id", record.task.request.transaction)
        object.add("priority", record.task.priority.name)
        object.add("idempotency_key", record.task.idempotencyKey(for: request.caller))
        object.add("enqueued_at", KST.iso8601(record.task.enqueuedAt))
        object.add("leases", Int64(record.leases))
        if let outcome = record.outcome {
            object.add("attempts", Int64(outcome.attempts))
            if let error = outcome.error {
                var failure = JSONWriter.Object()
                failure.add("code", error.code)
                failure.add("message", error.message)
                failure.add("category", error.category)
                failure.add("broker_code", error.brokerCode)
                object.add("error", raw: failure.json)
            } else if let result = try? hub.result(of: record) {
                object.add("result", raw: Self.render(result, request: request, raw: false))
            }
        }
        return object.json
    }

    func catalog() -> Response {
        let entries = TransactionCatalog.all.map { spec -> String in
            var object = JSONWriter.Object()
            object.add("provider", spec.provider.rawValue)
            object.add("tr_id", spec.id)
            object.add("summary", spec.summary)
            object.add("historical", spec.historical)
            let parameters = spec.parameters.prefix(spec.id == "FHKST11300006" ? 4 : 99).map { parameter -> String in
                var item = JSONWriter.Object()
                item.add("name", parameter.name)
                item.add("required", parameter.required)
                item.add("default", parameter.defaultValue)
                return item.json
            }
            object.add("parameters", raw: "[" + parameters.joined(separator: ",") + "]")
            return object.json
        }
        return .json("[" + entries.joined(separator: ",") + "]")
    }
}
