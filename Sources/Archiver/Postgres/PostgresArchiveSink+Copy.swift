import BrokerCore
import PostgresNIO
import Realtime

extension PostgresArchiveSink {
    /// The COPY path. First the direct way, inside a savepoint: ticks and order books COPY'd straight into
    /// their keyed tables and the counts added from the batch itself. A unique violation — the batch, or part
    /// of it, was stored before (a redelivery) — rolls back to the savepoint, and the staging way sorts it out:
    /// COPY into the staging tables, then one counting `INSERT … ON CONFLICT DO NOTHING` per table. Alerts
    /// (few) always take the staging way.
    func copy(_ batch: ArchiveBatch, on connection: PostgresConnection) async throws -> ArchiveWriteSummary {
        var summary = ArchiveWriteSummary()
        var market = batch
        market.alerts = []
        if !market.isEmpty {
            try await connection.query("SAVEPOINT bh_direct", logger: logger)
            do {
                summary = try await copyDirect(market, on: connection)
                try await connection.query("RELEASE SAVEPOINT bh_direct", logger: logger)
                market = ArchiveBatch([])
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                try await connection.query("ROLLBACK TO SAVEPOINT bh_direct", logger: logger)
                Self.directFallbacks.increment()
                copyFallbacks += 1
            }
        }
        market.alerts = batch.alerts
        let staged = try await copyStaged(market, on: connection)
        summary.ticks += staged.ticks
        summary.orderBooks += staged.orderBooks
        summary.alerts += staged.alerts
        return summary
    }

    /// Ticks and order books COPY'd into the keyed tables themselves (fails with 23505 on any row stored
    /// before), and their counts added in one statement.
    private func copyDirect(_ batch: ArchiveBatch, on connection: PostgresConnection) async throws -> ArchiveWriteSummary {
        var counts: [LedgerKey: Int64] = [:]
        if !batch.ticks.isEmpty {
            try await copyRows(qualified("ticks"), columns: PostgresArchiveSchema.ticksColumnList, count: batch.ticks.count, on: connection) { text, index in
                let row = batch.ticks[index]
                let t = row.payload
                text.field(row.event.id); text.field(row.event.provider.rawValue); text.field(row.event.channel.rawValue)
                text.field(row.event.symbol); text.timestamp(t.time.archiveMicroseconds)
                text.timestamp(row.event.receivedAt.archiveMicroseconds); text.field(t.price); text.field(t.volume)
                text.field(t.side.rawValue); text.field(t.change); text.field(t.changeRate.description)
                text.field(t.cumVolume); text.field(t.cumValue); text.field(t.open); text.field(t.high); text.field(t.low)
                text.field(t.askPrice); text.field(t.bidPrice); text.field(t.sourceType.rawValue)
                text.field(t.marketClass, last: true)
            }
            for row in batch.ticks { counts[row.key, default: 0] += 1 }
        }
        if !batch.orderBooks.isEmpty {
            try await copyRows(qualified("order_books"), columns: PostgresArchiveSchema.orderBooksColumnList, count: batch.orderBooks.count, on: connection) { text, index in
                let row = batch.orderBooks[index]
                let b = row.payload
                text.field(row.event.id); text.field(row.event.provider.rawValue); text.field(row.event.channel.rawValue)
                text.field(row.event.symbol); text.timestamp(b.time.archiveMicroseconds)
                text.timestamp(row.event.receivedAt.archiveMicroseconds)
                text.field(arrayLiteral(b.asks.map(\.price))); text.field(arrayLiteral(b.asks.map(\.quantity)))
                text.field(arrayLiteral(b.bids.map(\.price))); text.field(arrayLiteral(b.bids.map(\.quantity)))
                text.field(b.totalAskQuantity); text.field(b.totalBidQuantity); text.field(b.sourceType.rawValue, last: true)
            }
            for row in batch.orderBooks { counts[row.key, default: 0] += 1 }
        }
        let keys = counts.keys.sorted { ($0.provider, $0.channel.rawValue, $0.symbol) < ($1.provider, $1.channel.rawValue, $1.symbol) }
        var binds = PostgresBindings(capacity: 4)
        binds.append(keys.map(\.provider)); binds.append(keys.map(\.channel.rawValue))
        binds.append(keys.map(\.symbol)); binds.append(keys.map { counts[$0]! })
        try await connection.query(PostgresQuery(unsafeSQL: PostgresArchiveSchema.addCounts(schema: schema), binds: binds), logger: logger)
        return ArchiveWriteSummary(ticks: batch.ticks.count, orderBooks: batch.orderBooks.count)
    }

    /// `schema"."table` for `copyFrom`, which writes its table name inside one pair of double quotes: the
    /// archive schema's table, quoted as `schema` quotes it everywhere else.
    private func qualified(_ table: String) -> String { configuration.schema + "\".\"" + table }

    /// The staging way: stream the batch into the staging tables, then move it with one counting insert per table.
    private func copyStaged(_ batch: ArchiveBatch, on connection: PostgresConnection) async throws -> ArchiveWriteSummary {
        var summary = ArchiveWriteSummary()
        if !batch.ticks.isEmpty {
            try await copyRows("bh_stage_ticks", columns: PostgresArchiveSchema.stagingColumns["bh_stage_ticks"]!, count: batch.ticks.count, on: connection) { text, index in
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
            try await copyRows("bh_stage_order_books", columns: PostgresArchiveSchema.stagingColumns["bh_stage_order_books"]!, count: batch.orderBooks.count, on: connection) { text, index in
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
            try await copyRows("bh_stage_system_alerts", columns: PostgresArchiveSchema.stagingColumns["bh_stage_system_alerts"]!, count: batch.alerts.count, on: connection) { text, index in
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

    /// Sends `count` rows in COPY text format, about 256 KiB per message. The rows are formatted before the
    /// `COPY` starts, so the server spends no time in it waiting for the client.
    private func copyRows(
        _ table: String, columns: [String], count: Int, on connection: PostgresConnection, row: (inout CopyTextWriter, Int) -> Void
    ) async throws {
        var chunks: [ByteBuffer] = []
        var text = CopyTextWriter()
        for index in 0..<count {
            row(&text, index)
            if text.buffer.readableBytes >= 256 * 1024 {
                chunks.append(text.buffer)
                text = CopyTextWriter()
            }
        }
        if text.buffer.readableBytes > 0 { chunks.append(text.buffer) }
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
            for chunk in chunks { try await writer.write(chunk) }
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

    /// Microseconds since 1970 as a `timestamptz` in UTC: `2025-11-21 00:20:00.123456+00`.
    mutating func timestamp(_ microseconds: Int64, last: Bool = false) {
        let (seconds, micros) = Self.floorDivision(microseconds, 1_000_000)
        let (days, secondOfDay) = Self.floorDivision(seconds, 86_400)
        // Days since 1970 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        digits(year, 4); buffer.writeInteger(UInt8(ascii: "-")); digits(month, 2); buffer.writeInteger(UInt8(ascii: "-"))
        digits(day, 2); buffer.writeInteger(UInt8(ascii: " ")); digits(secondOfDay / 3_600, 2)
        buffer.writeInteger(UInt8(ascii: ":")); digits(secondOfDay / 60 % 60, 2); buffer.writeInteger(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2); buffer.writeInteger(UInt8(ascii: ".")); digits(micros, 6)
        buffer.writeStaticString("+00")
        buffer.writeInteger(last ? UInt8(ascii: "\n") : UInt8(ascii: "\t"))
    }

    /// `value` (0 ≤ value < 10^width) in exactly `width` decimal digits.
    private mutating func digits(_ value: Int64, _ width: Int) {
        var value = value
        var scratch: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (48, 48, 48, 48, 48, 48)
        withUnsafeMutableBytes(of: &scratch) { bytes in
            var index = width - 1
            while index >= 0 {
                bytes[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
                index -= 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[0..<width]))
        }
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value >= 0 ? value / divisor : (value - divisor + 1) / divisor
        return (quotient, value - quotient * divisor)
    }

    mutating func field(_ value: Int64?, last: Bool = false) {
        if let value { buffer.writeString(String(value)) } else { buffer.writeStaticString("\\N") }
        buffer.writeInteger(last ? UInt8(ascii: "\n") : UInt8(ascii: "\t"))
    }
}
