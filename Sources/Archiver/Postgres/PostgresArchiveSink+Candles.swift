import BrokerCore
import Foundation
import PostgresNIO

extension PostgresArchiveSink {
    @discardableResult
    public func writeCandles(_ candles: [Candle], checkpoint: CandleCheckpoint?, now: Date) async throws -> CandleWriteSummary {
        guard !candles.isEmpty || checkpoint != nil else { return CandleWriteSummary() }
        if partitioning == nil { try await prepare() }
        let schema = self.schema
        return try await withConnection { connection in
            // BEGIN … COMMIT by hand, as `write` does (an error closes the connection, which rolls back).
            try await connection.query("BEGIN", logger: self.logger)
            var summary = CandleWriteSummary()
            for candle in candles {
                // The stored candle is replaced only by a fetch that is not older (`CandleUpsert`): no row back means
                // it was kept; `xmax = 0` tells an insert from an update.
                let fetchedAt = candle.fetchedAt(or: now)
                var query = PostgresQuery(unsafeSQL: """
                    INSERT INTO \(schema).candles AS c (provider, symbol, interval, start, open, high, low, close, volume, trading_value,
                        halted, source_type, fetched_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                    ON CONFLICT (provider, symbol, interval, start) DO UPDATE SET open = EXCLUDED.open, high = EXCLUDED.high,
                        low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume, trading_value = EXCLUDED.trading_value,
                        halted = EXCLUDED.halted, source_type = EXCLUDED.source_type, fetched_at = EXCLUDED.fetched_at
                    WHERE c.fetched_at <= EXCLUDED.fetched_at
                    RETURNING (xmax = 0)
                    """)
                query.binds.append(candle.provider.rawValue); query.binds.append(candle.symbol)
                query.binds.append(candle.interval.description); query.binds.append(candle.start)
                query.binds.append(candle.open); query.binds.append(candle.high); query.binds.append(candle.low)
                query.binds.append(candle.close); query.binds.append(candle.volume); query.binds.append(candle.tradingValue)
                query.binds.append(candle.halted); query.binds.append(candle.sourceType.rawValue); query.binds.append(fetchedAt)
                var returned = false
                for try await inserted in try await connection.query(query, logger: self.logger).decode(Bool.self) {
                    returned = true
                    if inserted { summary.inserted += 1 } else { summary.updated += 1 }
                }
                if !returned { summary.skipped += 1 }
            }
            if let checkpoint {
                var query = PostgresQuery(unsafeSQL: """
                    INSERT INTO \(schema).candle_checkpoints (provider, symbol, interval, through, updated_at) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (provider, symbol, interval) DO UPDATE SET through = EXCLUDED.through, updated_at = EXCLUDED.updated_at
                    """)
                query.binds.append(checkpoint.provider.rawValue); query.binds.append(checkpoint.symbol)
                query.binds.append(checkpoint.interval.description); query.binds.append(checkpoint.through.compact); query.binds.append(now)
                try await connection.query(query, logger: self.logger)
            }
            try await connection.query("COMMIT", logger: self.logger)
            return summary
        }
    }

    public func candles(provider: Provider, symbol: String, interval: CandleInterval, from: Date, to: Date) async throws -> [Candle] {
        if partitioning == nil { try await prepare() }
        let schema = self.schema
        return try await withConnection { connection in
            var query = PostgresQuery(unsafeSQL: """
                SELECT start, open, high, low, close, volume, trading_value, halted, source_type, fetched_at FROM \(schema).candles
                WHERE provider = $1 AND symbol = $2 AND interval = $3 AND start >= $4 AND start < $5 ORDER BY start
                """)
            query.binds.append(provider.rawValue); query.binds.append(symbol); query.binds.append(interval.description)
            query.binds.append(from); query.binds.append(to)
            var candles: [Candle] = []
            let rows = try await connection.query(query, logger: self.logger)
            for try await (start, open, high, low, close, volume, value, halted, source, fetchedAt)
                in rows.decode((Date, Int64, Int64, Int64, Int64, Int64, Int64?, Bool, String, Date).self) {
                candles.append(Candle(
                    provider: provider, symbol: symbol, interval: interval, start: start, open: open, high: high, low: low, close: close,
                    volume: volume, tradingValue: value, halted: halted, sourceType: SourceType(rawValue: source) ?? .restCandle, receivedAt: fetchedAt
                ))
            }
            return candles
        }
    }

    public func candleCheckpoint(provider: Provider, symbol: String, interval: CandleInterval) async throws -> KSTDate? {
        if partitioning == nil { try await prepare() }
        let schema = self.schema
        return try await withConnection { connection in
            var query = PostgresQuery(unsafeSQL: "SELECT through FROM \(schema).candle_checkpoints WHERE provider = $1 AND symbol = $2 AND interval = $3")
            query.binds.append(provider.rawValue); query.binds.append(symbol); query.binds.append(interval.description)
            for try await through in try await connection.query(query, logger: self.logger).decode(String.self) { return KSTDate(through) }
            return nil
        }
    }
}
