import BrokerCore
import Foundation
import Realtime

/// Durable storage for realtime events: ticks, order books and system alerts, keyed by the event id so that
/// at-least-once delivery gives exactly-once rows; and candles (REST history, backfill, derived from ticks), keyed by
/// provider, symbol, interval and start. Implementations: `PostgresArchiveSink`, `SQLiteArchiveSink`; both pass the
/// same behavioural suite.
public protocol ArchiveSink: Sendable {
    /// Creates the schema (idempotent). Safe to call again after a failure.
    func prepare() async throws

    /// Stores a batch in one transaction: either every new row and its counts commit, or nothing does.
    /// Events whose id is already stored are skipped and not counted. Prepares the schema first if this sink
    /// has not. Safe to call from several tasks at once, with every other method.
    @discardableResult
    func write(_ events: [RealtimeEvent]) async throws -> ArchiveWriteSummary

    /// Whether `error` (thrown by `write`) means the database refused the rows for their content — a data or
    /// constraint error — rather than being unavailable: writing the same rows again cannot succeed.
    func rejects(_ error: any Error) -> Bool

    /// Rows stored so far per provider, channel and symbol (the "stored" side of the ledger), kept in a counts
    /// table updated in the same transaction as the rows.
    func storedCounts() async throws -> [LedgerKey: Int64]

    /// Rows stored in one table (for checks: with ids unique, the rows equal the counted total).
    func rowCount(_ table: ArchiveTable) async throws -> Int

    /// Stores candles in one transaction: a candle not stored yet is inserted; one already stored (same provider,
    /// symbol, interval and start) is updated in place when this fetch is not older than the stored one's
    /// (`receivedAt`; `now` when it has none), and left alone otherwise — never duplicated. With `checkpoint`, the
    /// history position is set in the same transaction. Prepares the schema first if this sink has not.
    @discardableResult
    func writeCandles(_ candles: [Candle], checkpoint: CandleCheckpoint?, now: Date) async throws -> CandleWriteSummary

    /// Stored candles of one provider, symbol and interval starting in `from ..< to`, oldest first.
    func candles(provider: Provider, symbol: String, interval: CandleInterval, from: Date, to: Date) async throws -> [Candle]

    /// The history position of one provider, symbol and interval (nil: nothing collected yet).
    func candleCheckpoint(provider: Provider, symbol: String, interval: CandleInterval) async throws -> KSTDate?

    /// Stored trades of one provider and symbol with exchange time in `from ..< to`, oldest first (equal times by
    /// accumulated volume, then in the order they were stored) — realtime and backfilled alike.
    func trades(provider: Provider, symbol: String, from: Date, to: Date) async throws -> [StoredTrade]

    /// Exchange time of the latest stored trade of one provider and symbol (nil: none): the trading day realtime data
    /// is on.
    func lastTradeTime(provider: Provider, symbol: String) async throws -> Date?

    /// Stored `system` alerts of one kind (e.g. `session.gap`) raised in `from ..< to`, oldest first.
    func alerts(kind: String, from: Date, to: Date) async throws -> [RealtimeAlert]

    /// Releases connections. The sink must not be used afterwards.
    func close() async throws
}

/// Rows one `write` actually inserted, per table (duplicates excluded).
public struct ArchiveWriteSummary: Sendable, Hashable {
    public var ticks: Int
    public var orderBooks: Int
    public var alerts: Int

    public init(ticks: Int = 0, orderBooks: Int = 0, alerts: Int = 0) {
        self.ticks = ticks
        self.orderBooks = orderBooks
        self.alerts = alerts
    }

    public var total: Int { ticks + orderBooks + alerts }

    public static func + (lhs: Self, rhs: Self) -> Self {
        Self(ticks: lhs.ticks + rhs.ticks, orderBooks: lhs.orderBooks + rhs.orderBooks, alerts: lhs.alerts + rhs.alerts)
    }
}

/// The archive tables, by their SQL names.
public enum ArchiveTable: String, Sendable, CaseIterable {
    case ticks
    case orderBooks = "order_books"
    case systemAlerts = "system_alerts"
    case candles
}
