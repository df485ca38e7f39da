import BrokerCore
import Foundation

/// Where a history collection has got to for one provider, symbol and interval: every candle through `through`
/// (a KST trading date) is stored. Set in the same transaction as the candles that reach it, so a run killed at any
/// moment resumes after the last day it really stored.
public struct CandleCheckpoint: Sendable, Hashable {
    public var provider: Provider
    public var symbol: String
    public var interval: CandleInterval
    public var through: KSTDate

    public init(provider: Provider, symbol: String, interval: CandleInterval, through: KSTDate) {
        self.provider = provider
        self.symbol = symbol
        self.interval = interval
        self.through = through
    }
}

/// What one `writeCandles` did: candles new to the archive, candles re-fetched and updated in place, and candles
/// skipped because the stored one was fetched later.
public struct CandleWriteSummary: Sendable, Hashable {
    public var inserted = 0
    public var updated = 0
    public var skipped = 0

    public init(inserted: Int = 0, updated: Int = 0, skipped: Int = 0) {
        self.inserted = inserted
        self.updated = updated
        self.skipped = skipped
    }
}

/// How a sink decides one candle against the stored one (pure, the same for both sinks): a candle is keyed by provider,
/// symbol, interval and start; a later (or equal) fetch replaces the stored values — today's still-forming minute
/// becomes its final value — and an older fetch changes nothing.
enum CandleUpsert {
    enum Decision: Equatable {
        case insert
        case update
        case skip
    }

    /// Compared in the archive's microseconds: a candle fetched again from the hub's cache carries the same
    /// receive time, which must count as "not older" although the stored one was rounded.
    static func decide(stored fetchedAt: Date?, incoming: Date) -> Decision {
        guard let fetchedAt else { return .insert }
        return incoming.archiveMicroseconds >= fetchedAt.archiveMicroseconds ? .update : .skip
    }
}

extension Candle {
    /// When the candle was fetched, for the archive (`receivedAt`, or `fallback` when the record has none).
    func fetchedAt(or fallback: Date) -> Date { receivedAt ?? fallback }
}
