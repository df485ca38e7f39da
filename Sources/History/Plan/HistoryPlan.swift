import BrokerClients
import BrokerCore
import Foundation

/// What a history collection will do (pure): per symbol and interval, the days still to fetch after the stored
/// checkpoint, cut into steps that each end in a checkpoint — a trading day for minute candles (one KIS call a day),
/// the whole range for daily and longer ones. `--dry-run` prints it; `HistoryCollector` performs it.
public struct HistoryPlan: Sendable, Equatable {
    /// One fetch-and-store unit: candles of `symbol` from `from` through `to`, then the checkpoint `through`.
    public struct Step: Sendable, Hashable {
        public var provider: Provider
        public var symbol: String
        public var interval: CandleInterval
        public var from: KSTDate
        public var to: KSTDate
        /// The checkpoint the step sets once stored: its last day, but never today (today's candles are still forming).
        public var through: KSTDate?
        /// Broker calls the catalogue names for it.
        public var calls: Int
        /// Broker requests the calls take with their pages, as the sheets say a page holds (an estimate: KIS daily
        /// candles 100 rows a page, a past day's minute bars 120 — 4 pages for a 09:00–15:30 day).
        public var sends: Int
    }

    public var steps: [Step]
    /// Symbol × interval pairs the checkpoints say are complete already.
    public var complete: Int
    public var symbols: Int
    public var intervals: [CandleInterval]
    public var from: KSTDate
    public var to: KSTDate

    /// Broker calls the plan needs.
    public var calls: Int { steps.reduce(0) { $0 + $1.calls } }
    /// Broker requests with their pages (estimated).
    public var sends: Int { steps.reduce(0) { $0 + $1.sends } }

    /// Seconds the requests take at `budget` requests a second.
    public func seconds(atBudget budget: Double) -> Double { budget > 0 ? Double(sends) / budget : .infinity }

    /// Pages a call is expected to take (`Step.sends`).
    static func pages(provider: Provider, interval: CandleInterval, tradingDays: Int, today: Bool) -> Int {
        switch (provider, interval.unit) {
        case (.kis, .minute): today ? 13 : 4
        case (.kis, .day): max(1, (tradingDays + 99) / 100)
        default: 1
        }
    }

    /// Minute candles a broker keeps (KIS FHKST03010230: about a year).
    public static let minuteRetentionDays = 365
    /// The longest range one run takes.
    public static let maximumDays = 3_660

    /// Plans `intervals` of `symbols` from `from` through `to`; `checkpoints[key]` (see `key`) is the last day already
    /// stored. Refuses — with the reason, as `request.invalid_argument` — a range that ends in the future, starts after
    /// it ends, spans more than ten years, reaches past the broker's minute retention, holds no trading day, or an
    /// interval the provider does not serve.
    public static func make(
        provider: Provider, symbols: [String], intervals: [CandleInterval], from: KSTDate, to: KSTDate, today: KSTDate,
        checkpoints: [String: KSTDate] = [:], calendar: KRXCalendar = KRXCalendar()
    ) throws -> HistoryPlan {
        func refuse(_ message: String) -> BrokerHubError { BrokerHubError(.invalidArgument, message) }
        guard !symbols.isEmpty else { throw refuse("no symbols: give --symbols, --symbols-file or --top") }
        guard !intervals.isEmpty else { throw refuse("no interval: give --interval 1d (or 1m, 1w, …)") }
        guard from <= to else { throw refuse("--from \(from.compact) is after --to \(to.compact)") }
        guard to <= today else { throw refuse("--to \(to.compact) is in the future (today is \(today.compact) KST)") }
        guard to.daysSinceEpoch - from.daysSinceEpoch < maximumDays else {
            throw refuse("\(from.compact)–\(to.compact) spans more than ten years; split it into runs of at most \(maximumDays) days")
        }
        let tradingDays = calendar.tradingDays(from: from, through: to)
        guard !tradingDays.isEmpty else {
            let why = from == to ? (calendar.holidayName(on: from).map { " (\($0))" } ?? (from.isWeekend ? " (a weekend)" : "")) : ""
            throw refuse("no trading day from \(from.compact) through \(to.compact)\(why): nothing to fetch")
        }
        let oldestMinute = today.adding(days: -minuteRetentionDays)
        let yesterday = today.adding(days: -1)
        var steps: [Step] = []
        var complete = 0
        for interval in intervals {
            if interval.unit == .minute, provider == .kis, from < oldestMinute {
                throw refuse("KIS keeps minute candles for about a year: --from must be \(oldestMinute.compact) or later for \(interval.description)")
            }
            // The catalogue refuses what no transaction serves (e.g. KIS 5m): ask it once with a one-day range.
            _ = try TransactionCatalog.candleCalls(provider: provider, symbol: symbols[0], interval: interval, from: to, to: to, today: today, calendar: calendar)
            for symbol in symbols {
                let done = checkpoints[key(provider: provider, symbol: symbol, interval: interval)]
                let start = done.map { max(from, $0.adding(days: 1)) } ?? from
                let days = calendar.tradingDays(from: start, through: to)
                guard !days.isEmpty else {
                    complete += 1
                    continue
                }
                if interval.unit == .minute {
                    for day in days {
                        let calls = try TransactionCatalog.candleCalls(provider: provider, symbol: symbol, interval: interval, from: day, to: day, today: today, calendar: calendar).count
                        let sends = calls * Self.pages(provider: provider, interval: interval, tradingDays: 1, today: day == today)
                        steps.append(Step(provider: provider, symbol: symbol, interval: interval, from: day, to: day, through: day < today ? day : nil, calls: calls, sends: sends))
                    }
                } else {
                    let calls = try TransactionCatalog.candleCalls(provider: provider, symbol: symbol, interval: interval, from: start, to: to, today: today, calendar: calendar).count
                    let sends = calls * Self.pages(provider: provider, interval: interval, tradingDays: days.count, today: false)
                    steps.append(Step(
                        provider: provider, symbol: symbol, interval: interval, from: start, to: to,
                        through: min(to, yesterday) >= start ? min(to, yesterday) : nil, calls: calls, sends: sends
                    ))
                }
            }
        }
        return HistoryPlan(steps: steps, complete: complete, symbols: symbols.count, intervals: intervals, from: from, to: to)
    }

    /// The checkpoints map's key for one provider, symbol and interval.
    public static func key(provider: Provider, symbol: String, interval: CandleInterval) -> String {
        "\(provider.rawValue)/\(symbol)/\(interval.description)"
    }
}
