import BrokerCore
import PostgresNIO

extension PostgresArchiveSink {
    /// NULL for the nullable bigint columns of the UNNEST path (binary arrays cannot hold NULL elements here).
    static let nullSentinel = Int64.min

    /// The UNNEST path: one multi-row `INSERT … SELECT FROM unnest(arrays)` per table, arrays bound in binary.
    func unnest(_ batch: ArchiveBatch, on connection: PostgresConnection) async throws -> ArchiveWriteSummary {
        var summary = ArchiveWriteSummary()
        let null = Self.nullSentinel
        if !batch.ticks.isEmpty {
            let rows = batch.ticks
            var binds = PostgresBindings(capacity: 20)
            binds.append(rows.map(\.event.id)); binds.append(rows.map(\.event.provider.rawValue))
            binds.append(rows.map(\.event.channel.rawValue)); binds.append(rows.map(\.event.symbol))
            binds.append(rows.map(\.payload.time.archiveMicroseconds)); binds.append(rows.map(\.event.receivedAt.archiveMicroseconds))
            binds.append(rows.map(\.payload.price)); binds.append(rows.map(\.payload.volume))
            binds.append(rows.map(\.payload.side.rawValue)); binds.append(rows.map(\.payload.change))
            binds.append(rows.map(\.payload.changeRate.description))
            binds.append(rows.map { $0.payload.cumVolume ?? null }); binds.append(rows.map { $0.payload.cumValue ?? null })
            binds.append(rows.map { $0.payload.open ?? null }); binds.append(rows.map { $0.payload.high ?? null })
            binds.append(rows.map { $0.payload.low ?? null }); binds.append(rows.map { $0.payload.askPrice ?? null })
            binds.append(rows.map { $0.payload.bidPrice ?? null }); binds.append(rows.map(\.payload.sourceType.rawValue))
            binds.append(rows.map { $0.payload.marketClass ?? "" })
            let n = "NULLIF(%@, \(null))"
            func nullable(_ column: String) -> String { n.replacingOccurrences(of: "%@", with: column) }
            summary.ticks = try await insertCounting(
                table: "ticks", columns: PostgresArchiveSchema.ticksInsertColumns,
                select: """
                    id, provider, channel, symbol, \(PostgresArchiveSchema.timestamp("time_us")),
                    \(PostgresArchiveSchema.timestamp("received_us")), price, volume, side, change, change_rate::numeric,
                    \(nullable("cum_volume")), \(nullable("cum_value")), \(nullable("open")), \(nullable("high")),
                    \(nullable("low")), \(nullable("ask_price")), \(nullable("bid_price")), source_type,
                    NULLIF(market_class, '')
                    """,
                from: """
                    unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::int8[],
                        $8::int8[], $9::text[], $10::int8[], $11::text[], $12::int8[], $13::int8[], $14::int8[],
                        $15::int8[], $16::int8[], $17::int8[], $18::int8[], $19::text[], $20::text[])
                    AS u(id, provider, channel, symbol, time_us, received_us, price, volume, side, change, change_rate,
                        cum_volume, cum_value, open, high, low, ask_price, bid_price, source_type, market_class)
                    """,
                binds: binds, on: connection
            )
        }
        if !batch.orderBooks.isEmpty {
            let rows = batch.orderBooks
            var binds = PostgresBindings(capacity: 13)
            binds.append(rows.map(\.event.id)); binds.append(rows.map(\.event.provider.rawValue))
            binds.append(rows.map(\.event.channel.rawValue)); binds.append(rows.map(\.event.symbol))
            binds.append(rows.map(\.payload.time.archiveMicroseconds)); binds.append(rows.map(\.event.receivedAt.archiveMicroseconds))
            binds.append(rows.map { arrayLiteral($0.payload.asks.map(\.price)) })
            binds.append(rows.map { arrayLiteral($0.payload.asks.map(\.quantity)) })
            binds.append(rows.map { arrayLiteral($0.payload.bids.map(\.price)) })
            binds.append(rows.map { arrayLiteral($0.payload.bids.map(\.quantity)) })
            binds.append(rows.map(\.payload.totalAskQuantity)); binds.append(rows.map(\.payload.totalBidQuantity))
            binds.append(rows.map(\.payload.sourceType.rawValue))
            summary.orderBooks = try await insertCounting(
                table: "order_books", columns: PostgresArchiveSchema.orderBooksInsertColumns,
                select: """
                    id, provider, channel, symbol, \(PostgresArchiveSchema.timestamp("time_us")),
                    \(PostgresArchiveSchema.timestamp("received_us")), ask_prices::bigint[], ask_quantities::bigint[],
                    bid_prices::bigint[], bid_quantities::bigint[], total_ask_quantity, total_bid_quantity, source_type
                    """,
                from: """
                    unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::text[],
                        $8::text[], $9::text[], $10::text[], $11::int8[], $12::int8[], $13::text[])
                    AS u(id, provider, channel, symbol, time_us, received_us, ask_prices, ask_quantities, bid_prices,
                        bid_quantities, total_ask_quantity, total_bid_quantity, source_type)
                    """,
                binds: binds, on: connection
            )
        }
        if !batch.alerts.isEmpty {
            let rows = batch.alerts
            var binds = PostgresBindings(capacity: 10)
            binds.append(rows.map(\.event.id)); binds.append(rows.map(\.event.provider.rawValue))
            binds.append(rows.map(\.event.channel.rawValue)); binds.append(rows.map(\.event.symbol))
            binds.append(rows.map(\.payload.at.archiveMicroseconds)); binds.append(rows.map(\.event.receivedAt.archiveMicroseconds))
            binds.append(rows.map(\.payload.kind)); binds.append(rows.map(\.payload.message))
            binds.append(rows.map { $0.payload.provider?.rawValue ?? "" }); binds.append(rows.map { $0.payload.symbol ?? "" })
            summary.alerts = try await insertCounting(
                table: "system_alerts", columns: PostgresArchiveSchema.alertsInsertColumns,
                select: """
                    id, provider, channel, symbol, \(PostgresArchiveSchema.timestamp("at_us")),
                    \(PostgresArchiveSchema.timestamp("received_us")), kind, message, NULLIF(alert_provider, ''),
                    NULLIF(alert_symbol, '')
                    """,
                from: """
                    unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::text[],
                        $8::text[], $9::text[], $10::text[])
                    AS u(id, provider, channel, symbol, at_us, received_us, kind, message, alert_provider, alert_symbol)
                    """,
                binds: binds, on: connection
            )
        }
        return summary
    }

    private func insertCounting(
        table: String, columns: String, select: String, from source: String, binds: PostgresBindings,
        on connection: PostgresConnection
    ) async throws -> Int {
        let text = PostgresArchiveSchema.insertCounting(table: table, columns: columns, select: select, from: source)
        let query = PostgresQuery(unsafeSQL: text.replacingOccurrences(of: "%S", with: schema), binds: binds)
        let rows = try await connection.query(query, logger: logger)
        var inserted = 0
        for try await count in rows.decode(Int64.self) { inserted = Int(count) }
        return inserted
    }
}
