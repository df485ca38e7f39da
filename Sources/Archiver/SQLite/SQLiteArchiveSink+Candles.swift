import BrokerCore
import Foundation
import GRDB

extension SQLiteArchiveSink {
    @discardableResult
    public func writeCandles(_ candles: [Candle], checkpoint: CandleCheckpoint?, now: Date) async throws -> CandleWriteSummary {
        guard !candles.isEmpty || checkpoint != nil else { return CandleWriteSummary() }
        try await prepareOnce()
        return try await writer.write { db in
            var summary = CandleWriteSummary()
            let lookup = try db.cachedStatement(sql: SQLiteArchiveSchema.candleFetchedAt)
            let upsert = try db.cachedStatement(sql: SQLiteArchiveSchema.upsertCandle)
            for candle in candles {
                let key: StatementArguments = [candle.provider.rawValue, candle.symbol, candle.interval.description, candle.start.archiveMicroseconds]
                let stored = try Int64.fetchOne(lookup, arguments: key).map { Date(archiveMicroseconds: $0) }
                let fetchedAt = candle.fetchedAt(or: now)
                switch CandleUpsert.decide(stored: stored, incoming: fetchedAt) {
                case .skip:
                    summary.skipped += 1
                    continue
                case .insert: summary.inserted += 1
                case .update: summary.updated += 1
                }
                try upsert.execute(arguments: key + [
                    candle.open, candle.high, candle.low, candle.close, candle.volume, candle.tradingValue, candle.halted,
                    candle.sourceType.rawValue, fetchedAt.archiveMicroseconds,
                ])
            }
            if let checkpoint {
                try db.cachedStatement(sql: SQLiteArchiveSchema.setCheckpoint).execute(arguments: [
                    checkpoint.provider.rawValue, checkpoint.symbol, checkpoint.interval.description, checkpoint.through.compact, now.archiveMicroseconds,
                ])
            }
            return summary
        }
    }

    public func candles(provider: Provider, symbol: String, interval: CandleInterval, from: Date, to: Date) async throws -> [Candle] {
        try await prepareOnce()
        return try await writer.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT start_us, open, high, low, close, volume, trading_value, halted, source_type, fetched_at_us FROM candles
                WHERE provider = ? AND symbol = ? AND interval = ? AND start_us >= ? AND start_us < ? ORDER BY start_us
                """, arguments: [provider.rawValue, symbol, interval.description, from.archiveMicroseconds, to.archiveMicroseconds])
            var candles: [Candle] = []
            while let row = try rows.next() {
                candles.append(Candle(
                    provider: provider, symbol: symbol, interval: interval, start: Date(archiveMicroseconds: row[0]),
                    open: row[1], high: row[2], low: row[3], close: row[4], volume: row[5], tradingValue: row[6], halted: row[7],
                    sourceType: SourceType(rawValue: row[8]) ?? .restCandle, receivedAt: Date(archiveMicroseconds: row[9])
                ))
            }
            return candles
        }
    }

    public func candleCheckpoint(provider: Provider, symbol: String, interval: CandleInterval) async throws -> KSTDate? {
        try await prepareOnce()
        return try await writer.read { db in
            try String.fetchOne(
                db, sql: "SELECT through FROM candle_checkpoints WHERE provider = ? AND symbol = ? AND interval = ?",
                arguments: [provider.rawValue, symbol, interval.description]
            ).flatMap { KSTDate($0) }
        }
    }
}
