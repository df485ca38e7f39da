import BrokerCore
import PostgresNIO

extension PostgresArchiveSink {
    /// The COPY path: stream the batch into the staging tables, then move it with one counting insert per table.
    func copy(_ batch: ArchiveBatch, on connection: PostgresConnection) async throws -> ArchiveWriteSummary {
        var summary = ArchiveWriteSummary()
        if !batch.ticks.isEmpty {
            try await copyRows("bh_stage_ticks", count: batch.ticks.count, on: connection) { text, index in
                let row = batch.ticks[index]
                let t = row.payload
                text.field(row.event.id); text.field(row.event.provider.rawValue); text.field(row.event.channel.rawValue)
                text.field(row.event.symbol); text.field(t.time.archiveMicroseconds)
                text.field(row.event.receivedAt.archiveMicroseconds); text.field(t.price); text.field(t.volume)
                text.field(t.side.rawValue); text.field(t.change); text.field(t.changeRate.description)
                text.field(t.cumVolume); text.field(t.cumValue); text.field(t.open); text.field(t.high); text.field(t.low)
                text.field(t.askPrice); text.field(t.bidPrice); text.field(t.sourceType.rawValue)
                text.field(t.marketClass, last: true)
            }
            summary.ticks = try await insertCounting(
                table: "ticks", columns: PostgresArchiveSchema.ticksInsertColumns,
                select: """
                    id, provider, channel, symbol, \(PostgresArchiveSchema.timestamp("time_us")),
                    \(PostgresArchiveSchema.timestamp("received_us")), price, volume, side, change, change_rate::numeric,
                    cum_volume, cum_value, open, high, low, ask_price, bid_price, source_type, market_class
                    """,
                from: "bh_stage_ticks", on: connection
            )
        }
        if !batch.orderBooks.isEmpty {
            try await copyRows("bh_stage_order_books", count: batch.orderBooks.count, on: connection) { text, index in
                let row = batch.orderBooks[index]
                let b = row.payload
                text.field(row.event.id); text.field(row.event.provider.rawValue); text.field(row.event.channel.rawValue)
                text.field(row.event.symbol); text.field(b.time.archiveMicroseconds)
                text.field(row.event.receivedAt.archiveMicroseconds)
                text.field(arrayLiteral(b.asks.map(\.price))); text.field(arrayLiteral(b.asks.map(\.quantity)))
                text.field(arrayLiteral(b.bids.map(\.price))); text.field(arrayLiteral(b.bids.map(\.quantity)))
                text.field(b.totalAskQuantity); text.field(b.totalBidQuantity); text.field(b.sourceType.rawValue, last: true)
            }
            summary.orderBooks = try await insertCounting(
                table: "order_books", columns: PostgresArchiveSchema.orderBooksInsertColumns,
                select: """
                    id, provider, channel, symbol, \(PostgresArchiveSchema.timestamp("time_us")),
                    \(PostgresArchiveSchema.timestamp("received_us")), ask_prices::bigint[], ask_quantities::bigint[],
                    bid_prices::bigint[], bid_quantities::bigint[], total_ask_quantity, total_bid_quantity, source_type
                    """,
                from: "bh_stage_order_books", on: connection
            )
        }
        if !batch.alerts.isEmpty {
            try await copyRows("bh_stage_system_alerts", count: batch.alerts.count, on: connection) { text, index in
                let row = batch.alerts[index]
                let a = row.payload
                text.field(row.event.id); text.field(row.event.provider.rawValue); text.field(row.event.channel.rawValue)
                text.field(row.event.symbol); text.field(a.at.archiveMicroseconds)
                text.field(row.event.receivedAt.archiveMicroseconds); text.field(a.kind); text.field(a.message)
                text.field(a.provider?.rawValue); text.field(a.symbol, last: true)
            }
            summary.alerts = try await insertCounting(
                table: "system_alerts", columns: PostgresArchiveSchema.alertsInsertColumns,
                select: """
                    id, provider, channel, symbol, \(PostgresArchiveSchema.timestamp("at_us")),
                    \(PostgresArchiveSchema.timestamp("received_us")), kind, message, alert_provider, alert_symbol
                    """,
                from: "bh_stage_system_alerts", on: connection
            )
        }
        return summary
    }

    /// Streams `count` rows in COPY text format, about 256 KiB per message.
    private func copyRows(
        _ table: String, count: Int, on connection: PostgresConnection, row: (inout CopyTextWriter, Int) -> Void
    ) async throws {
        try await connection.copyFrom(table: table, columns: PostgresArchiveSchema.stagingColumns[table] ?? [], logger: logger) { writer in
            var text = CopyTextWriter()
            for index in 0..<count {
                row(&text, index)
                if text.buffer.readableBytes >= 256 * 1024 {
                    try await writer.write(text.buffer)
                    text.buffer.clear()
                }
            }
            if text.buffer.readableBytes > 0 { try await writer.write(text.buffer) }
        }
    }

    func insertCounting(table: String, columns: String, select: String, from source: String, on connection: PostgresConnection) async throws -> Int {
        let query = sql(PostgresArchiveSchema.insertCounting(table: table, columns: columns, select: select, from: source))
        let rows = try await connection.query(query, logger: logger)
        var inserted = 0
        for try await count in rows.decode(Int64.self) { inserted = Int(count) }
        return inserted
    }
}

/// `{1,2,3}`: a PostgreSQL array literal of integers.
func arrayLiteral(_ values: [Int64]) -> String {
    "{" + values.map(String.init).joined(separator: ",") + "}"
}

/// Builds rows of PostgreSQL's COPY text format: tab-separated, `\N` for NULL, backslash escapes.
struct CopyTextWriter {
    var buffer = ByteBuffer()

    init() { buffer.reserveCapacity(300 * 1024) }

    mutating func field(_ value: String?, last: Bool = false) {
        if let value {
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
                case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
                case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
                default: buffer.writeInteger(byte)
                }
            }
        } else {
            buffer.writeStaticString("\\N")
        }
        buffer.writeInteger(last ? UInt8(ascii: "\n") : UInt8(ascii: "\t"))
    }

    mutating func field(_ value: Int64?, last: Bool = false) {
        if let value { buffer.writeString(String(value)) } else { buffer.writeStaticString("\\N") }
        buffer.writeInteger(last ? UInt8(ascii: "\n") : UInt8(ascii: "\t"))
    }
}
