import BrokerCore
import Foundation
import PostgresNIO
import Realtime

extension PostgresArchiveSink {
    public func trades(provider: Provider, symbol: String, from: Date, to: Date) async throws -> [StoredTrade] {
        if partitioning == nil { try await prepare() }
        let schema = self.schema
        return try await withConnection { connection in
            var query = PostgresQuery(unsafeSQL: """
                SELECT time, price, volume, cum_volume, source_type FROM \(schema).ticks
                WHERE symbol = $1 AND provider = $2 AND time >= $3 AND time < $4 ORDER BY time, cum_volume NULLS LAST, received_at, id
                """)
            query.binds.append(symbol); query.binds.append(provider.rawValue); query.binds.append(from); query.binds.append(to)
            var trades: [StoredTrade] = []
            let rows = try await connection.query(query, logger: self.logger)
            for try await (time, price, volume, cumVolume, source) in rows.decode((Date, Int64, Int64, Int64?, String).self) {
                trades.append(StoredTrade(time: time, price: price, volume: volume, cumVolume: cumVolume, sourceType: SourceType(rawValue: source) ?? .realtime))
            }
            return trades
        }
    }

    public func lastTradeTime(provider: Provider, symbol: String) async throws -> Date? {
        if partitioning == nil { try await prepare() }
        let schema = self.schema
        return try await withConnection { connection in
            var query = PostgresQuery(unsafeSQL: "SELECT max(time) FROM \(schema).ticks WHERE symbol = $1 AND provider = $2")
            query.binds.append(symbol); query.binds.append(provider.rawValue)
            for try await time in try await connection.query(query, logger: self.logger).decode(Date?.self) { return time }
            return nil
        }
    }

    public func alerts(kind: String, from: Date, to: Date) async throws -> [RealtimeAlert] {
        if partitioning == nil { try await prepare() }
        let schema = self.schema
        return try await withConnection { connection in
            var query = PostgresQuery(unsafeSQL: """
                SELECT at, message, alert_provider, alert_symbol FROM \(schema).system_alerts
                WHERE kind = $1 AND at >= $2 AND at < $3 ORDER BY at
                """)
            query.binds.append(kind); query.binds.append(from); query.binds.append(to)
            var alerts: [RealtimeAlert] = []
            let rows = try await connection.query(query, logger: self.logger)
            for try await (at, message, provider, symbol) in rows.decode((Date, String, String?, String?).self) {
                alerts.append(RealtimeAlert(kind: kind, message: message, provider: provider.flatMap(Provider.init(rawValue:)), symbol: symbol, at: at))
            }
            return alerts
        }
    }
}
