/// What the realtime watchdog asks the collector to do about a silent session, mildest first.
public enum WatchdogAction: Int, Sendable, Hashable, Comparable, CaseIterable {
    /// Log and publish a `watchdog.silence` alert; the session stays as it is.
    case warn = 1
    /// Re-send the session's subscriptions on the same connection.
    case resubscribe = 2
    /// Drop the connection and connect again (through `ReconnectPolicy`).
    case reconnect = 3

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
