import BrokerCore
import Foundation

/// Turns a stream of alerts into notices a person can live with — one page per incident, a reminder while it
/// goes on, a resolved message when it stops — with a per-kind rate limit so that a storm of one kind (every
/// symbol of a session refused at once) pages a few times, not hundreds. Pure: the caller gives it alerts and
/// the time, performs the notices it returns (`AlertService`), and calls `tick` now and then.
public struct AlertPolicy: Sendable {
    public struct Settings: Sendable, Hashable {
        /// While an incident keeps coming, a reminder this long after the previous notice.
        public var reminderInterval: Duration = .seconds(30 * 60)
        /// An incident not seen for this long is resolved.
        public var resolveAfter: Duration = .seconds(10 * 60)
        /// New incidents of one kind paged within `rateWindow`; more are counted and named in the next notice.
        public var pagesPerKind: Int = 5
        public var rateWindow: Duration = .seconds(60 * 60)

        public init() {}
    }

    /// One incident's state. Absent from `incidents` means quiet.
    enum State: Sendable, Hashable {
        /// Paged (or rate-limited) and still coming: when it opened, was last seen and last notified, and how
        /// often it came since that notice. `paged` is false for an incident the rate limit kept quiet: it
        /// gets no reminder and no resolved message either.
        case firing(first: Facts, openedAt: Date, lastSeen: Date, lastNotified: Date, repeats: Int, paged: Bool)
    }

    /// What the policy keeps of an alert.
    struct Facts: Sendable, Hashable {
        var message: String
        var severity: AlertSeverity
    }

    public let settings: Settings
    private(set) var incidents: [AlertIncident: State] = [:]
    /// Per kind: when its recent pages went out, and how many incidents the limit kept quiet since its last notice.
    private var pagesByKind: [String: [Date]] = [:]
    private var suppressedByKind: [String: Int] = [:]

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// Incidents open now (paged or not).
    public var openIncidents: [AlertIncident] { incidents.keys.sorted() }

    /// An alert came: a page for a new incident (unless the kind's rate limit is spent), nothing for a repeat.
    public mutating func raise(
        _ incident: AlertIncident, message: String, severity: AlertSeverity? = nil, at now: Date
    ) -> [AlertNotice] {
        let severity = severity ?? AlertSeverity.of(kind: incident.kind)
        if case .firing(let first, let openedAt, _, let lastNotified, let repeats, let paged) = incidents[incident] {
            incidents[incident] = .firing(first: first, openedAt: openedAt, lastSeen: now, lastNotified: lastNotified, repeats: repeats + 1, paged: paged)
            return []
        }
        let facts = Facts(message: message, severity: severity)
        let window = settings.rateWindow.timeInterval
        var recent = (pagesByKind[incident.kind] ?? []).filter { now.timeIntervalSince($0) < window }
        guard recent.count < settings.pagesPerKind else {
            pagesByKind[incident.kind] = recent
            suppressedByKind[incident.kind, default: 0] += 1
            incidents[incident] = .firing(first: facts, openedAt: now, lastSeen: now, lastNotified: now, repeats: 0, paged: false)
            return []
        }
        recent.append(now)
        pagesByKind[incident.kind] = recent
        incidents[incident] = .firing(first: facts, openedAt: now, lastSeen: now, lastNotified: now, repeats: 0, paged: true)
        return [notice(.opened, incident, facts, openedAt: now, at: now, repeats: 0)]
    }

    /// The source says the incident is over (a breaker closed again): resolved now, not after the quiet time.
    public mutating func resolve(_ incident: AlertIncident, at now: Date) -> [AlertNotice] {
        guard case .firing(let first, let openedAt, _, _, _, let paged) = incidents.removeValue(forKey: incident), paged else { return [] }
        return [notice(.resolved, incident, first, openedAt: openedAt, at: now, repeats: 0)]
    }

    /// Reminders for incidents still coming, resolved messages for those gone quiet.
    public mutating func tick(at now: Date) -> [AlertNotice] {
        var notices: [AlertNotice] = []
        for incident in incidents.keys.sorted() {
            guard case .firing(let first, let openedAt, let lastSeen, let lastNotified, let repeats, let paged) = incidents[incident] else { continue }
            if now.timeIntervalSince(lastSeen) >= settings.resolveAfter.timeInterval {
                incidents[incident] = nil
                if paged { notices.append(notice(.resolved, incident, first, openedAt: openedAt, at: now, repeats: 0)) }
            } else if paged, repeats > 0, now.timeIntervalSince(lastNotified) >= settings.reminderInterval.timeInterval {
                incidents[incident] = .firing(first: first, openedAt: openedAt, lastSeen: lastSeen, lastNotified: now, repeats: 0, paged: paged)
                notices.append(notice(.reminder, incident, first, openedAt: openedAt, at: now, repeats: repeats))
            }
        }
        return notices
    }

    private mutating func notice(
        _ stage: AlertNotice.Stage, _ incident: AlertIncident, _ facts: Facts, openedAt: Date, at now: Date, repeats: Int
    ) -> AlertNotice {
        // A page or reminder says how many more of its kind were not paged; a resolved message leaves the count.
        let suppressed = stage == .resolved ? 0 : suppressedByKind.removeValue(forKey: incident.kind) ?? 0
        return AlertNotice(
            stage: stage, incident: incident, severity: stage == .resolved ? .info : facts.severity, message: facts.message,
            openedAt: openedAt, at: now, repeats: repeats, suppressed: suppressed
        )
    }
}
