import Archiver
import BrokerCore
import BrokerWire
import Foundation
import HTTPTypes
import HubEngine
import Hummingbird
import Prometheus

extension HubRoutes {
    /// `GET /ready`: the store (SQLite, or Redis in distributed mode) answers and brokers are configured; 503
    /// with the reason otherwise.
    func ready() async throws -> Response {
        let status: HubStatus
        do {
            status = try await hub.snapshot()
        } catch {
            throw APIError(.unavailable, "store unavailable: \(error)")
        }
        let open = status.providers.filter { $0.breaker == .open }.map(\.provider)
        var object = JSONWriter.Object()
        object.add("ready", true)
        object.add("mode", configuration.isDistributed ? "distributed" : "embedded")
        object.add("open_circuits", raw: "[" + open.map { "\"\($0.rawValue)\"" }.joined(separator: ",") + "]")
        return .json(object.json)
    }

    /// `GET /v1/status`: one JSON document about everything (also what the dashboard shows).
    func status() async throws -> Response {
        let status = try await hub.snapshot()
        var object = JSONWriter.Object()
        object.add("started_at", KST.iso8601(startedAt))
        object.add("mode", configuration.isDistributed ? "distributed" : "embedded")
        object.add("uptime_s", Int64(clock.now.timeIntervalSince(startedAt)))
        var queue = JSONWriter.Object()
        for priority in Priority.allCases { queue.add(priority.name, Int64(status.queueDepth[priority] ?? 0)) }
        object.add("queue_depth", raw: queue.json)
        object.add("workers", Int64(configuration.workers))
        object.add("workers_busy", Int64(status.workersBusy))
        object.add("coalesced", Int64(status.coalesced))
        object.add("cache_hits", Int64(status.cacheHits))
        let providers = status.providers.map { provider -> String in
            var entry = JSONWriter.Object()
            entry.add("provider", provider.provider.rawValue)
            entry.add("app_key", provider.appKey)
            entry.add("kind", provider.kind.rawValue)
            entry.add("sends", Int64(provider.sends))
            entry.add("send_rate_10s", number: String(format: "%.2f", provider.sendRate))
            entry.add("budget_utilisation_10s", number: String(format: "%.3f", provider.budgetUtilisation))
            entry.add("budget_configured", Int64(provider.budgetConfigured))
            entry.add("budget_limit", Int64(provider.budgetLimit))
            entry.add("breaker", provider.breaker.rawValue)
            entry.add("breaker_opened", Int64(provider.breakerOpened))
            entry.add("tokens_issued", Int64(provider.tokensIssued))
            entry.add("approval_keys_issued", Int64(provider.approvalKeysIssued))
            if let failure = provider.tokenIssueFailure {
                var issue = JSONWriter.Object()
                issue.add("at", KST.iso8601(failure.at))
                issue.add("kind", failure.kind.rawValue)
                issue.add("message", failure.message)
                entry.add("token_issue_failure", raw: issue.json)
            }
            if let expiry = provider.tokenExpiresAt { entry.add("token_expires_at", KST.iso8601(expiry)) }
            // Budget use per 5 s over the last five minutes (the dashboard's chart), oldest first.
            let capacity = Double(max(1, provider.budgetLimit * HubStatus.historyBucket))
            entry.add("budget_history_5s", raw: "[" + provider.sendHistory.map { String(format: "%.3f", Double($0) / capacity) }.joined(separator: ",") + "]")
            return entry.json
        }
        object.add("providers", raw: "[" + providers.joined(separator: ",") + "]")
        object.add("learned_budgets", raw: "[" + Self.learnedBudgets(status.learnedBudgets).joined(separator: ",") + "]")
        if let snapshots { object.add("snapshot", raw: snapshots.status.json()) }
        object.add("alerts_enabled", alerts != nil)
        if let feed {
            let stream = feed.status
            var entry = JSONWriter.Object()
            entry.add("clients", Int64(stream.clients))
            entry.add("events_sent", stream.eventsSent)
            entry.add("refused", stream.refused)
            object.add("stream", raw: entry.json)
        }
        if let gateway {
            let status = gateway.status
            var entry = JSONWriter.Object()
            entry.add("clients", Int64(status.clients))
            entry.add("registrations", Int64(status.registrations))
            entry.add("frames_sent", status.framesSent)
            entry.add("dropped", status.dropped)
            entry.add("refused", status.refused)
            entry.add("refused_full", status.full)
            entry.add("slow_disconnects", status.slowDisconnects)
            object.add("gateway", raw: entry.json)
        }
        if let ledger { object.add("realtime", raw: Self.realtime(ledger.latest)) }
        if let alerts {
            let notices = alerts.recentNotices.map { notice -> String in
                var entry = JSONWriter.Object()
                entry.add("stage", notice.stage.rawValue)
                entry.add("kind", notice.incident.kind)
                entry.add("severity", notice.severity.rawValue)
                entry.add("message", notice.message)
                entry.add("at", KST.iso8601(notice.at))
                return entry.json
            }
            object.add("recent_alerts", raw: "[" + notices.joined(separator: ",") + "]")
        }
        return .json(object.json)
    }

    /// The pipeline's ledger per provider and channel, as last read: `{"read_at", "published", "stored",
    /// "missing", "channels": [{provider, channel, published, stored, missing}]}`; before the first reading
    /// `{"read_at": null}`.
    static func realtime(_ reading: LedgerMonitor.Reading?) -> String {
        var object = JSONWriter.Object()
        guard let reading else {
            object.add("read_at", nil as String?)
            return object.json
        }
        object.add("read_at", KST.iso8601(reading.at))
        object.add("published", reading.report.totalPublished)
        object.add("stored", reading.report.totalStored)
        object.add("missing", reading.report.totalMissing)
        let channels = reading.report.channelTotals.map { total in
            var entry = JSONWriter.Object()
            entry.add("provider", total.provider)
            entry.add("channel", total.channel.rawValue)
            entry.add("published", total.published)
            entry.add("stored", total.stored)
            entry.add("missing", total.missing)
            return entry.json
        }
        object.add("channels", raw: "[" + channels.joined(separator: ",") + "]")
        return object.json
    }

    /// Budgets the broker refused at, lowered from their configured limits: id (app key as a digest),
    /// configured and current limit, the limit refused and when.
    static func learnedBudgets(_ learned: [String: LearnedBudget]) -> [String] {
        learned.sorted { $0.key < $1.key }.map { id, budget in
            var entry = JSONWriter.Object()
            entry.add("budget", id)
            entry.add("configured", Int64(budget.configured))
            entry.add("limit", Int64(budget.limit))
            if case .lowered(_, let changedAt, let refusedLimit, let refusedAt) = budget.state {
                entry.add("changed_at", KST.iso8601(changedAt))
                entry.add("refused_limit", Int64(refusedLimit))
                entry.add("refused_at", KST.iso8601(refusedAt))
            }
            return entry.json
        }
    }

    /// `GET /metrics`: Prometheus text, with point-in-time gauges refreshed at scrape.
    func metrics() async throws -> Response {
        let registry = HubMetrics.registry
        let status = try await hub.snapshot()
        for priority in Priority.allCases {
            registry.makeGauge(name: "brokerhub_queue_depth", labels: [("priority", priority.name)]).set(Double(status.queueDepth[priority] ?? 0))
        }
        for provider in status.providers {
            let labels = [("provider", provider.provider.rawValue)]
            registry.makeGauge(name: "brokerhub_breaker_state", labels: labels).set(provider.breaker.gaugeValue)
            registry.makeGauge(name: "brokerhub_budget_utilisation", labels: labels).set(provider.budgetUtilisation)
            registry.makeGauge(name: "brokerhub_send_rate", labels: labels).set(provider.sendRate)
            if let expiry = provider.tokenExpiresAt {
                registry.makeGauge(name: "brokerhub_token_expiry_seconds", labels: labels).set(expiry.timeIntervalSinceNow)
            }
        }
        registry.makeGauge(name: "brokerhub_workers_busy", labels: []).set(Double(status.workersBusy))
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: HubMetrics.render())))
    }

    /// `POST /dashboard/login` (a form with `key`): a configured key is kept in the dashboard cookie; another
    /// gets the login page again.
    /// A body that is not a form, or a form without a `key` field, is 415/400: only the login page's form is
    /// taken (an empty `key` is a field, and all the page sends for a hub without keys).
    func login(_ request: Request) async throws -> Response {
        let type = (request.headers[.contentType] ?? "").lowercased()
        guard type.hasPrefix("application/x-www-form-urlencoded") else {
            throw APIError(.unsupportedMediaType, "POST /dashboard/login takes the login form (Content-Type: application/x-www-form-urlencoded)")
        }
        let form = String(buffer: try await request.body.collect(upTo: 4096))
        guard let field = form.split(separator: "&", omittingEmptySubsequences: true).first(where: { $0 == "key" || $0.hasPrefix("key=") }) else {
            throw APIError(.invalidArgument, "the login form has no key field")
        }
        let key = field.dropFirst(4).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
        guard configuration.apiKeys.isEmpty || configuration.apiKeys.contains(key) else {
            return Dashboard.login(message: "That is not one of this hub's API keys.")
        }
        return Dashboard.redirect(settingKey: configuration.apiKeys.isEmpty ? nil : key)
    }

    func dashboard() -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: Dashboard.html)))
    }
}
