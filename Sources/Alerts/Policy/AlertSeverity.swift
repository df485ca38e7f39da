/// How urgent a notice is. Sinks can take only what is at least as severe as their minimum.
public enum AlertSeverity: String, Sendable, Hashable, Comparable, CaseIterable {
    case info
    case warning
    case critical

    /// Kinds that mean data is being lost or a session is gone for good: a person must act now.
    static let criticalKinds: Set<String> = [
        "session.replaced", "session.stopped", "reconnect.exhausted", "credentials.refused",
        "archiver.stalled", "ledger.missing", "rawlog.disk_full", "circuit.open", "token.failed", "token.expired",
    ]

    /// The severity of an incident of `kind` (a `RealtimeAlert.kind`, or one of the hub's own kinds).
    public static func of(kind: String) -> AlertSeverity {
        criticalKinds.contains(kind) ? .critical : .warning
    }

    private var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .critical: 2
        }
    }

    public static func < (lhs: AlertSeverity, rhs: AlertSeverity) -> Bool { lhs.rank < rhs.rank }
}
