import BrokerCore
import Foundation

/// What `brokerhub verify` found for one provider and trading day: per symbol, every minute of the window whose
/// stored trades do not add up to the broker's minute candle, and the collector's `session.gap` alerts of the day.
/// Written as JSON (`--report`) so that `brokerhub backfill` can act on it; `table()` is the human form.
public struct VerificationReport: Codable, Sendable, Hashable {
    public var provider: Provider
    /// The trading day, `YYYYMMDD` (KST).
    public var day: String
    /// The window verified, KST `HH:MM`, `from` inclusive, `to` exclusive.
    public var from: String
    public var to: String
    public var symbols: [SymbolVerification]
    /// The collector's `session.gap` alerts raised on the day (cuts of the realtime session, with their length).
    public var sessionGaps: [SessionGap]

    public init(provider: Provider, day: KSTDate, window: MinuteWindow, symbols: [SymbolVerification], sessionGaps: [SessionGap]) {
        self.provider = provider
        self.day = day.compact
        from = window.fromLabel
        to = window.toLabel
        self.symbols = symbols
        self.sessionGaps = sessionGaps
    }

    /// A `session.gap` alert as the report carries it.
    public struct SessionGap: Codable, Sendable, Hashable {
        /// KST `HH:MM:SS`.
        public var at: String
        public var provider: String?
        public var message: String

        public init(at: String, provider: String?, message: String) {
            self.at = at
            self.provider = provider
            self.message = message
        }
    }

    /// True when every minute of every symbol is accounted for: its trades add up to the broker's candle, or a
    /// backfilled candle equal to it is stored. Symbols that could not be verified make it false.
    public var isClean: Bool { symbols.allSatisfy { $0.error == nil && $0.gaps == 0 } }

    public var totals: SymbolVerification.Counts {
        symbols.reduce(into: SymbolVerification.Counts()) { $0.add($1.counts) }
    }

    public var tradingDay: KSTDate? { KSTDate(day) }

    /// The report as pretty JSON (sorted keys: stable across runs).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// Reads a report `json()` wrote.
    public static func decode(_ data: Data) throws -> VerificationReport {
        do {
            return try JSONDecoder().decode(VerificationReport.self, from: data)
        } catch {
            throw BrokerHubError(.invalidArgument, "not a verification report: \(error)")
        }
    }

    /// Per symbol: minutes checked, complete, missing, short, different, backfilled, volume missing; then each minute
    /// that is not complete and the session gaps.
    public func table() -> String {
        let header = ["symbol", "minutes", "complete", "missing", "short", "differ", "backfilled", "vol missing", "vol unrecovered"]
        var rows = symbols.map { symbol -> [String] in
            let c = symbol.counts
            if let error = symbol.error { return [symbol.symbol, "error: \(error)", "", "", "", "", "", "", ""] }
            return [symbol.symbol, String(c.checked), String(c.complete), String(c.missing), String(c.short), String(c.differ),
                    String(c.backfilled), String(c.missingVolume), String(c.unrecoveredVolume)]
        }
        let t = totals
        rows.append(["total", String(t.checked), String(t.complete), String(t.missing), String(t.short), String(t.differ),
                     String(t.backfilled), String(t.missingVolume), String(t.unrecoveredVolume)])
        let all = [header] + rows
        let widths = (0..<header.count).map { column in all.map { $0[column].count }.max() ?? 0 }
        var text = "verify \(provider.rawValue) \(day) \(from)–\(to): \(isClean ? "clean" : "GAPS")\n"
        text += all.map { cells in
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: max(0, widths[index] - cell.count))
                return index == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
        for symbol in symbols {
            for finding in symbol.findings {
                text += "  \(symbol.symbol) \(finding.minute) \(finding.status.rawValue)"
                text += " broker \(finding.expected.map(\.summary) ?? "-") stored \(finding.derived.map(\.summary) ?? "-")"
                if finding.missingVolume != 0 { text += " missing \(finding.missingVolume) shares" }
                if finding.backfilledTrades > 0 { text += " (\(finding.backfilledTrades) trades backfilled)" }
                text += "\n"
            }
        }
        for gap in sessionGaps {
            text += "  session.gap \(gap.at) \(gap.provider ?? "-"): \(gap.message)\n"
        }
        return text
    }
}

/// One symbol's verification: counts and the minutes that are not complete.
public struct SymbolVerification: Codable, Sendable, Hashable {
    public var symbol: String
    public var counts: Counts
    /// Minutes that are not `complete` (complete ones are only counted), oldest first.
    public var findings: [MinuteFinding]
    /// Why the symbol could not be verified (the broker refused it, …); nil when it was.
    public var error: String?

    public init(symbol: String, counts: Counts = Counts(), findings: [MinuteFinding] = [], error: String? = nil) {
        self.symbol = symbol
        self.counts = counts
        self.findings = findings
        self.error = error
    }

    /// Minutes still unaccounted for (missing, short or different).
    public var gaps: Int { counts.gaps }

    public struct Counts: Codable, Sendable, Hashable {
        public var checked = 0
        public var complete = 0
        public var missing = 0
        public var short = 0
        public var differ = 0
        public var backfilled = 0
        /// Shares the broker's candles have that stored trades do not, over missing and short minutes.
        public var missingVolume: Int64 = 0
        /// Of those, shares in minutes that rest on a backfilled candle only: trades that could not be recovered.
        public var unrecoveredVolume: Int64 = 0
        /// Trades recovered by backfill in the window.
        public var backfilledTrades = 0

        public init() {}

        /// Minutes still unaccounted for: missing, short or different (not closed by a backfilled candle).
        public var gaps: Int { missing + short + differ }

        mutating func add(_ other: Counts) {
            checked += other.checked
            complete += other.complete
            missing += other.missing
            short += other.short
            differ += other.differ
            backfilled += other.backfilled
            missingVolume += other.missingVolume
            unrecoveredVolume += other.unrecoveredVolume
            backfilledTrades += other.backfilledTrades
        }
    }
}

/// One minute that is not complete.
public struct MinuteFinding: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable {
        /// The broker has trades in the minute; none are stored.
        case missing
        /// Stored trades have less volume than the broker's candle.
        case short
        /// Stored trades disagree with the broker's candle otherwise (more volume, or a price beyond the tolerance).
        case differ
        /// Trades are missing or different, but a backfilled candle equal to the broker's is stored.
        case backfilled
    }

    /// KST `HH:MM`.
    public var minute: String
    public var status: Status
    /// The broker's candle.
    public var expected: MinuteBar?
    /// The candle the stored trades make (nil: none stored).
    public var derived: MinuteBar?
    /// Shares the broker's candle has beyond the stored trades (negative: stored has more).
    public var missingVolume: Int64
    /// Backfilled trades among the stored ones.
    public var backfilledTrades: Int

    /// Second of day (KST) the minute starts at.
    public var secondOfDay: Int? {
        let parts = minute.split(separator: ":").compactMap { Int($0) }
        return parts.count == 2 ? parts[0] * 3600 + parts[1] * 60 : nil
    }
}

/// OHLCV of one minute.
public struct MinuteBar: Codable, Sendable, Hashable {
    public var open: Int64
    public var high: Int64
    public var low: Int64
    public var close: Int64
    public var volume: Int64

    public init(open: Int64, high: Int64, low: Int64, close: Int64, volume: Int64) {
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    init(_ candle: Candle) {
        self.init(open: candle.open, high: candle.high, low: candle.low, close: candle.close, volume: candle.volume)
    }

    var summary: String { "O\(open) H\(high) L\(low) C\(close) V\(volume)" }
}
