import BrokerCore
import BrokerWire
import Foundation

/// What the alert policy decided to tell a person: a plain value the deliverers send to every sink.
public struct AlertNotice: Sendable, Hashable {
    public enum Stage: String, Sendable, Hashable {
        /// A new incident: the one page it gets.
        case opened
        /// Still happening after the reminder interval: how often it came again since the last notice.
        case reminder
        /// Quiet for the resolve interval, or resolved by its source.
        case resolved
    }

    public var stage: Stage
    public var incident: AlertIncident
    public var severity: AlertSeverity
    public var message: String
    /// When the incident opened.
    public var openedAt: Date
    /// When this notice was decided.
    public var at: Date
    /// Times the incident came again since the previous notice of it.
    public var repeats: Int
    /// Incidents of this kind the per-kind rate limit kept from paging since the kind's previous page or reminder.
    public var suppressed: Int

    /// One line for a person: `[CRITICAL] session.replaced kis 005930: message (3 repeats)`.
    public var line: String {
        var text = stage == .resolved ? "[RESOLVED] " : "[\(severity.rawValue.uppercased())] "
        text += incident.kind
        if let provider = incident.provider { text += " \(provider.rawValue)" }
        if let symbol = incident.symbol { text += " \(symbol)" }
        text += ": " + (stage == .resolved ? "resolved (open since \(KST.iso8601(openedAt)))" : message)
        if stage == .reminder { text += " (still happening: \(repeats) more since the last notice)" }
        if suppressed > 0 { text += " (+\(suppressed) other \(incident.kind) incidents not paged: rate limit)" }
        return text
    }

    /// The generic JSON body: every field, names in snake case.
    public var json: String {
        var object = JSONWriter.Object()
        object.add("stage", stage.rawValue)
        object.add("severity", severity.rawValue)
        object.add("kind", incident.kind)
        object.add("provider", incident.provider?.rawValue)
        object.add("symbol", incident.symbol)
        object.add("message", message)
        object.add("opened_at", KST.iso8601(openedAt))
        object.add("at", KST.iso8601(at))
        object.add("repeats", Int64(repeats))
        object.add("suppressed", Int64(suppressed))
        object.add("text", line)
        return object.json
    }

    /// A Slack-compatible incoming-webhook body (`{"text": …}`).
    public var slackJSON: String {
        var object = JSONWriter.Object()
        object.add("text", line)
        return object.json
    }
}

/// What makes two alerts the same incident: the kind, the provider and the symbol it names.
public struct AlertIncident: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: String
    public var provider: Provider?
    public var symbol: String?

    public init(kind: String, provider: Provider? = nil, symbol: String? = nil) {
        self.kind = kind
        self.provider = provider
        self.symbol = symbol
    }

    public var description: String { [kind, provider?.rawValue, symbol].compactMap { $0 }.joined(separator: " ") }

    public static func < (lhs: AlertIncident, rhs: AlertIncident) -> Bool { lhs.description < rhs.description }
}
