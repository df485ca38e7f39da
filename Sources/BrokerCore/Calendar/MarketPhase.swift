/// The KRX equity-market phase at an instant, as `KRXCalendar.phase(at:)` reports it.
///
/// Raw values are snake_case so they can be used as-is in JSON, metrics and logs.
public enum MarketPhase: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// No session: a weekend, a holiday, overnight, or the gap between the regular close and after-hours.
    case closed
    /// Pre-market: the off-hours session and opening-auction order book before the regular open.
    case preMarket = "pre_market"
    /// The regular (continuous) session.
    case regular
    /// After-hours: the closing-price and single-price off-hours sessions after the regular close.
    case afterHours = "after_hours"

    public var description: String { rawValue }

    /// Whether any session (pre-market, regular or after-hours) is running.
    public var isOpen: Bool { self != .closed }
}
