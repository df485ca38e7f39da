import BrokerWire

/// One screen of a hub's `/v1/status` for `brokerhub status` (pure: the status JSON in, the text out).
enum StatusScreen {
    static func render(_ status: JSONValue, url: String) -> String {
        var lines: [String] = []
        let mode = status["mode"]?.text ?? "?"
        let uptime = status["uptime_s"]?.intValue ?? 0
        lines.append("BrokerHub at \(url) — \(mode), up \(duration(uptime)), workers \(status["workers_busy"]?.text ?? "?")/\(status["workers"]?.text ?? "?") busy")
        lines.append("")
        lines.append(pad("provider", 9) + pad("key", 10) + pad("kind", 6) + pad("sends", 9) + pad("send/s", 8) + pad("budget", 14) + pad("breaker", 18) + "token expires")
        for provider in status["providers"]?.arrayValue ?? [] {
            let budget = "\(percent(provider["budget_utilisation_10s"]?.text)) of \(provider["budget_limit"]?.text ?? "?")/s"
            let lowered = provider["budget_limit"]?.intValue != provider["budget_configured"]?.intValue
            var breaker = provider["breaker"]?.text ?? "?"
            if let opened = provider["breaker_opened"]?.intValue, opened > 0 { breaker += " (opened \(opened)×)" }
            lines.append(
                pad(provider["provider"]?.text ?? "?", 9) + pad(provider["app_key"]?.text ?? "", 10) + pad(provider["kind"]?.text ?? "", 6)
                    + pad(provider["sends"]?.text ?? "0", 9) + pad(provider["send_rate_10s"]?.text ?? "0", 8)
                    + pad(budget + (lowered ? "*" : ""), 14) + pad(breaker, 18) + (provider["token_expires_at"]?.text ?? "no token yet")
            )
        }
        lines.append("")
        let queue = status["queue_depth"]?.objectValue ?? [:]
        let order = ["realtime_critical", "interactive", "snapshot", "backfill"]
        lines.append("queue: " + order.map { "\($0) \(queue[$0]?.text ?? "0")" }.joined(separator: " · "))
        lines.append("shared: \(status["coalesced"]?.text ?? "0") coalesced, \(status["cache_hits"]?.text ?? "0") from the history cache")
        let learned = status["learned_budgets"]?.arrayValue ?? []
        if learned.isEmpty {
            lines.append("budgets: as configured")
        } else {
            lines.append("budgets lowered after the broker's refusals (*):")
            for budget in learned {
                let refused = budget["refused_limit"].map { ", refused at \($0.text)/s \(budget["refused_at"]?.text ?? "")" } ?? ""
                lines.append("  \(budget["budget"]?.text ?? "?"): \(budget["limit"]?.text ?? "?")/s of \(budget["configured"]?.text ?? "?")/s\(refused)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private static func percent(_ fraction: String?) -> String {
        guard let fraction, let value = Double(fraction) else { return "?" }
        return "\(Int((value * 100).rounded())) %"
    }

    private static func duration(_ seconds: Int) -> String {
        seconds >= 3600 ? "\(seconds / 3600) h \(seconds % 3600 / 60) min" : seconds >= 60 ? "\(seconds / 60) min \(seconds % 60) s" : "\(seconds) s"
    }
}
