import BrokerCore
import Foundation
import GRDB
import Realtime

extension SQLiteArchiveSink {
    public func trades(provider: Provider, symbol: String, from: Date, to: Date) async throws -> [StoredTrade] {
        try await prepareOnce()
        return try await writer.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT time_us, price, volume, cum_volume, source_type FROM ticks
                WHERE symbol = ? AND provider = ? AND time_us >= ? AND time_us < ? ORDER BY time_us, cum_volume IS NULL, cum_volume, rowid
                """, arguments: [symbol, provider.rawValue, from.archiveMicroseconds, to.archiveMicroseconds])
            var trades: [StoredTrade] = []
            while let row = try rows.next() {
                trades.append(StoredTrade(
                    time: Date(archiveMicroseconds: row[0]), price: row[1], volume: row[2], cumVolume: row[3],
                    sourceType: SourceType(rawValue: row[4]) ?? .realtime
                ))
            }
            return trades
        }
    }

    public func lastTradeTime(provider: Provider, symbol: String) async throws -> Date? {
        try await prepareOnce()
        return try await writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT max(time_us) FROM ticks WHERE symbol = ? AND provider = ?", arguments: [symbol, provider.rawValue])
                .map { Date(archiveMicroseconds: $0) }
        }
    }

    public func alerts(kind: String, from: Date, to: Date) async throws -> [RealtimeAlert] {
        try await prepareOnce()
        return try await writer.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT at_us, message, alert_provider, alert_symbol FROM system_alerts
                WHERE kind = ? AND at_us >= ? AND at_us < ? ORDER BY at_us
                """, arguments: [kind, from.archiveMicroseconds, to.archiveMicroseconds])
            var alerts: [RealtimeAlert] = []
            while let row = try rows.next() {
                let provider: String? = row[2]
                alerts.append(RealtimeAlert(
                    kind: kind, message: row[1], provider: provider.flatMap(Provider.init(rawValue:)), symbol: row[3],
                    at: Date(archiveMicroseconds: row[0])
                ))
            }
            return alerts
        }
    }
}
