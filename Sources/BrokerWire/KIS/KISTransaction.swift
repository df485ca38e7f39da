import Foundation

/// The KIS REST transactions (TRs) BrokerHub understands.
public enum KISTransaction: String, Sendable, CaseIterable {
    /// 주식현재가 시세: one symbol's quote.
    case quote = "FHKST01010100"
    /// 주식현재가 일자별: the last 30 days/weeks/months.
    case dailyPrice = "FHKST01010400"
    /// 국내주식기간별시세: daily/weekly/monthly/yearly candles over a date range (≤ 100 rows a call).
    case periodChart = "FHKST03010100"
    /// 주식당일분봉조회: today's minute candles (≤ 30 rows ending at a time).
    case minuteChart = "FHKST03010200"
    /// 주식일별분봉조회: minute candles of a past day (≤ 120 rows at or before an anchor time; real accounts only).
    case pastMinuteChart = "FHKST03010230"
    /// 주식현재가 체결: the last 30 trades.
    case recentTrades = "FHKST01010300"
    /// 관심종목(멀티종목) 시세조회: up to 30 symbols per call (real accounts only).
    case multiQuote = "FHKST11300006"

    /// The REST path of the TR.
    public var path: String {
        let base = "/uapi/domestic-stock/v1/quotations/"
        return switch self {
        case .quote: base + "inquire-price"
        case .dailyPrice: base + "inquire-daily-price"
        case .periodChart: base + "inquire-daily-itemchartprice"
        case .minuteChart: base + "inquire-time-itemchartprice"
        case .pastMinuteChart: base + "inquire-time-dailychartprice"
        case .recentTrades: base + "inquire-ccnl"
        case .multiQuote: base + "intstock-multprice"
        }
    }

    /// The TR served at a path (tolerating `//` and a trailing slash), if any.
    public static func at(path: String) -> KISTransaction? {
        var normalized = path
        while normalized.contains("//") { normalized = normalized.replacingOccurrences(of: "//", with: "/") }
        if normalized.count > 1, normalized.hasSuffix("/") { normalized.removeLast() }
        return allCases.first { $0.path == normalized }
    }

    /// Whether the TR answers with continuation headers (`tr_cont`).
    public var isPaginated: Bool { self == .periodChart || self == .minuteChart || self == .dailyPrice }

    /// Rows a minute-candle page holds at most (the anchor walk moves back when a page is full); nil for others.
    public var minutePageSize: Int? {
        switch self {
        case .minuteChart: 30
        case .pastMinuteChart: 120
        default: nil
        }
    }
}
