/// Which side initiated a trade, when the broker says.
public enum TradeSide: String, Sendable, Hashable, Codable {
    case buy, sell, unknown
}
