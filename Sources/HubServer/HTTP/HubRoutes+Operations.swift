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
        do {
            _ = try await hub.queue.depth()
        } catch {
            throw APIError(.unavailable, "store unavailable: \(error)")
        }
        let open = Provider.allCases.filter { hub.gateway.account(for: $0) != nil && hub.gateway.breaker($0).state == .open }
        var object = JSONWriter.Object()
        object.add("ready", true)
        object.add("mode", application.configuration.isDistributed ? "distributed" : "embedded")
        object.add("open_circuits", raw: "[" + open.map { "\"\($0.rawValue)\"" }.joined(separator: ",") + "]")
        return .json(object.json)
    }

    /// `GET /v1/status`: one JSON document about everything (also what the dashboard shows).
    func status() async throws -> Response {
        let depth = try await hub.queue.depth()
        let expiries = await application.tokens.expiries()
        let issued = await application.tokens.issued
        var object = JSONWriter.Object()
        object.add("started_at", KST.iso8601(application.startedAt))
        object.add("mode", application.configuration.isDistributed ? "distributed" : "embedded")
        object.add("uptime_s", Int64(Date().timeIntervalSince(application.startedAt)))
        var queue = JSONWriter.Object()
        for priority in Priority.allCases { queue.add(priority.name, Int64(depth[priority] ?? 0)) }
        object.add("queue_depth", raw: queue.json)
        object.add("workers", Int64(application.configuration.workers))
        object.add("workers_busy", Int64(hub.dispatcher.busyWorkers))
        let sharing = hub.sharing
        object.add("coalesced", Int64(sharing.coalesced))
        object.add("cache_hits", Int64(sharing.cacheHits))
        var providers: [String] = []
        for provider in Provider.allCases {
            guard let account = hub.gateway.account(for: provider) else { continue }
            var entry = JSONWriter.Object()
            entry.add("provider", provider.rawValue)
            entry.add("app_key", account.redactedAppKey)
            entry.add("kind", account.kind.rawValue)
            entry.add("sends", Int64(hub.gateway.sends[provider] ?? 0))
            entry.add("send_rate_10s", number: String(format: "%.2f", hub.gateway.sendRate(provider)))
            entry.add("budget_utilisation_10s", number: String(format: "%.3f", hub.gateway.budgetUtilisation(provider) ?? 0))
            if let budget = hub.gateway.keyBudget(provider) {
                entry.add("budget_configured", Int64(budget.configured))
                entry.add("budget_limit", Int64(budget.effective))
            }
            entry.add("breaker", hub.gateway.breaker(provider).state.rawValue)
            entry.add("breaker_opened", Int64(hub.gateway.breaker(provider).openCount))
            entry.add("tokens_issued", Int64(issued[provider] ?? 0))
            if let expiry = expiries.first(where: { $0.key.provider == provider && $0.key.kind == .access })?.value {
                entry.add("token_expires_at", KST.iso8601(expiry))
            }
            providers.append(entry.json)
        }
        object.add("providers", raw: "[" + providers.joined(separator: ",") + "]")
        object.add("learned_budgets", raw: "[" + Self.learnedBudgets(application.learner.snapshot()).joined(separator: ",") + "]")
        return .json(object.json)
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
        let depth = try await hub.queue.depth()
        for priority in Priority.allCases {
            registry.makeGauge(name: "brokerhub_queue_depth", labels: [("priority", priority.name)]).set(Double(depth[priority] ?? 0))
        }
        let expiries = await application.tokens.expiries()
        for provider in Provider.allCases where hub.gateway.account(for: provider) != nil {
            let labels = [("provider", provider.rawValue)]
            registry.makeGauge(name: "brokerhub_breaker_state", labels: labels).set(hub.gateway.breaker(provider).state.gaugeValue)
            registry.makeGauge(name: "brokerhub_budget_utilisation", labels: labels).set(hub.gateway.budgetUtilisation(provider) ?? 0)
            registry.makeGauge(name: "brokerhub_send_rate", labels: labels).set(hub.gateway.sendRate(provider))
            if let expiry = expiries.first(where: { $0.key.provider == provider && $0.key.kind == .access })?.value {
                registry.makeGauge(name: "brokerhub_token_expiry_seconds", labels: labels).set(expiry.timeIntervalSinceNow)
            }
        }
        registry.makeGauge(name: "brokerhub_workers_busy", labels: []).set(Double(hub.dispatcher.busyWorkers))
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: HubMetrics.render())))
    }

    func dashboard() -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: Dashboard.html)))
    }
}
