import BrokerCore

/// One broker call that serves (part of) a market-data request — a quote, candles of a day or a range: the
/// transaction, its parameters and how many pages to follow.
public struct MarketCall: Sendable, Hashable {
    public var provider: Provider
    public var transaction: String
    public var parameters: [String: String]
    public var maxPages: Int

    public init(provider: Provider, transaction: String, parameters: [String: String], maxPages: Int) {
        self.provider = provider
        self.transaction = transaction
        self.parameters = parameters
        self.maxPages = maxPages
    }
}

extension TransactionCatalog {
    /// The call that serves one symbol's quote: KIS FHKST01010100, Kiwoom ka10001.
    public static func quoteCall(provider: Provider, symbol: String) -> MarketCall {
        switch provider {
        case .kis: MarketCall(provider: .kis, transaction: "FHKST01010100", parameters: ["FID_INPUT_ISCD": symbol], maxPages: 1)
        case .kiwoom: MarketCall(provider: .kiwoom, transaction: "ka10001", parameters: ["stk_cd": symbol], maxPages: 1)
        }
    }

    /// Minute candles are fetched a day at a time; a request may span at most this many calendar days.
    public static let maximumMinuteDays = 31

    /// Which transactions serve `interval` candles of `symbol` from `from` through `to` (KST days), as the
    /// brokers' sheets say: KIS days/weeks/months/years FHKST03010100 over the range; KIS one-minute bars
    /// FHKST03010230 per past trading day (120 rows a page, anchor walk) and FHKST03010200 for today; Kiwoom
    /// days ka10081, N-minute ka10080 (paged back from `to`). Throws `.invalidArgument` for what no
    /// transaction serves.
    public static func candleCalls(
        provider: Provider, symbol: String, interval: CandleInterval, from: KSTDate, to: KSTDate,
        today: KSTDate, calendar: KRXCalendar = KRXCalendar()
    ) throws -> [MarketCall] {
        guard from <= to else { throw BrokerHubError(.invalidArgument, "from is after to") }
        switch (provider, interval.unit) {
        case (.kis, .day), (.kis, .week), (.kis, .month), (.kis, .year):
            guard interval.count == 1 else { throw BrokerHubError(.invalidArgument, "KIS candles come in 1d, 1w, 1M or 1Y") }
            let period = ["d": "D", "w": "W", "M": "M", "Y": "Y"][interval.unit.rawValue]!
            return [MarketCall(provider: .kis, transaction: "FHKST03010100", parameters: [
                "FID_INPUT_ISCD": symbol, "FID_INPUT_DATE_1": from.compact, "FID_INPUT_DATE_2": to.compact, "FID_PERIOD_DIV_CODE": period,
            ], maxPages: 60)]
        case (.kis, .minute):
            guard interval.count == 1 else { throw BrokerHubError(.invalidArgument, "KIS minute candles come in 1m") }
            guard to.daysSinceEpoch - from.daysSinceEpoch < maximumMinuteDays else {
                throw BrokerHubError(.invalidArgument, "minute candles span at most \(maximumMinuteDays) days a request")
            }
            return calendar.tradingDays(from: from, through: min(to, today)).map { day in
                day < today
                    ? MarketCall(provider: .kis, transaction: "FHKST03010230", parameters: [
                        "FID_INPUT_ISCD": symbol, "FID_INPUT_DATE_1": day.compact, "FID_INPUT_HOUR_1": "",
                    ], maxPages: 8)
                    // Today's bars so far: a time after the close means "now"; 30 rows a page back to 09:00.
                    : MarketCall(provider: .kis, transaction: "FHKST03010200", parameters: [
                        "FID_INPUT_ISCD": symbol, "FID_INPUT_HOUR_1": "235959",
                    ], maxPages: 16)
            }
        case (.kiwoom, .day) where interval.count == 1:
            return [MarketCall(provider: .kiwoom, transaction: "ka10081", parameters: ["stk_cd": symbol, "base_dt": to.compact], maxPages: 20)]
        case (.kiwoom, .minute):
            // Pages of 900 bars newest first from `to` back: as many as the range's bars fill (up to 780 a day with
            // the NXT sessions), so a day's minutes take one call, not twenty pages reaching weeks back.
            let days = max(1, calendar.tradingDays(from: from, through: min(to, today)).count)
            let pages = (days * 780 / max(1, interval.count) + 899) / 900
            return [MarketCall(provider: .kiwoom, transaction: "ka10080", parameters: [
                "stk_cd": symbol, "base_dt": to.compact, "tic_scope": String(interval.count),
            ], maxPages: min(20, max(1, pages)))]
        default:
            throw BrokerHubError(.invalidArgument, "\(provider.rawValue) does not serve \(interval.description) candles here (KIS: 1d 1w 1M 1Y 1m; Kiwoom: 1d, Nm)")
        }
    }
}

extension TransactionCatalog {
    /// The call that serves the trades a broker still has for one symbol: KIS FHKST01010300 (the last 30 trades of
    /// today), Kiwoom ka10079 with one trade a bar (today's session, 900 a page, newest first; `maxPages` bounds how
    /// far back it reaches).
    public static func tradesCall(provider: Provider, symbol: String, maxPages: Int = 40) -> MarketCall {
        switch provider {
        case .kis: MarketCall(provider: .kis, transaction: "FHKST01010300", parameters: ["FID_INPUT_ISCD": symbol], maxPages: 1)
        case .kiwoom: MarketCall(provider: .kiwoom, transaction: "ka10079", parameters: ["stk_cd": symbol, "tic_scope": "1"], maxPages: max(1, maxPages))
        }
    }
}
