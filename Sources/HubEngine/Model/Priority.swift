/// Scheduling classes, highest first. Within a class: first in, first out.
public enum Priority: Int, Sendable, Hashable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    case realtimeCritical = 0
    case interactive = 1
    case snapshot = 2
    case backfill = 3

    public init?(name: String) {
        guard let match = Priority.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }

    public var name: String {
        switch self {
        case .realtimeCritical: "realtime_critical"
        case .interactive: "interactive"
        case .snapshot: "snapshot"
        case .backfill: "backfill"
        }
    }

    public var description: String { name }

    public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rawValue < rhs.rawValue }
}
