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
        var staged = batch
        var summary = ArchiveWriteSummary()
        if !batch.ticks.isEmpty || !batch.orderBooks.isEmpty {
            try await connection.query("SAVEPOINT bh_direct", logger: logger)
            do {
                summary = try await copyDirect(batch, on: connection)
                try await connection.query("RELEASE SAVEPOINT bh_direct", logger: logger)
                staged.ticks = []
                staged.orderBooks = []
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                try await connection.query("ROLLBACK TO SAVEPOINT bh_direct", logger: logger)
                Self.directFallbacks.increment()
                copyFallbacks += 1
            }
        }
        let rest = try await copyStaged(staged, on: connection)
        return ArchiveWriteSummary(ticks: summary.ticks + rest.ticks, orderBooks: summary.orderBooks + rest.orderBooks, alerts: rest.alerts)
    }

    /// The batch's ticks and order books (not its alerts) COPY'd into the keyed tables themselves (fails with
    /// 23505 on any row stored before), and their counts added in one statement.
    private func copyDirect(_ batch: ArchiveBatch, on connection: PostgresConnection) async throws -> ArchiveWriteSummary {
        var counts: [LedgerKey: Int64] = [:]
        if !batch.ticks.isEmpty {
            try await copyRows(qualified("ticks"), columns: PostgresArchiveSchema.ticksColumnList, count: batch.ticks.count, on: connection) { text, index in
                text.tick(batch.ticks[index], times: .timestamps)
            }
            for row in batch.ticks { counts[row.key, default: 0] += 1 }
        }
        if !batch.orderBooks.isEmpty {
            try await copyRows(qualified("order_books"), columns: PostgresArchiveSchema.orderBooksColumnList, count: batch.orderBooks.count, on: connection) { text, index in
                text.orderBook(batch.orderBooks[index], times: .timestamps)
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
                text.tick(batch.ticks[index], times: .microseconds)
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
                text.orderBook(batch.orderBooks[index], times: .microseconds)
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

    /// How a row's instants are written: microseconds since 1970 (the staging tables), or `timestamptz` text
    /// (the keyed tables themselves).
    enum Times {
        case microseconds
        case timestamps
    }

    mutating func instant(_ microseconds: Int64, _ times: Times) {
        switch times {
        case .microseconds: field(microseconds)
        case .timestamps: timestamp(microseconds)
        }
    }

    /// A tick's row, in `ticksInsertColumns` order (and the staging table's).
    mutating func tick(_ row: ArchiveBatch.Row<Tick>, times: Times) {
        let t = row.payload
        field(row.event.id); field(row.event.provider.rawValue); field(row.event.channel.rawValue)
        field(row.event.symbol); instant(t.time.archiveMicroseconds, times)
        instant(row.event.receivedAt.archiveMicroseconds, times); field(t.price); field(t.volume)
        field(t.side.rawValue); field(t.change); field(t.changeRate.description)
        field(t.cumVolume); field(t.cumValue); field(t.open); field(t.high); field(t.low)
        field(t.askPrice); field(t.bidPrice); field(t.sourceType.rawValue)
        field(t.marketClass, last: true)
    }

    /// An order book's row, in `orderBooksInsertColumns` order (and the staging table's).
    mutating func orderBook(_ row: ArchiveBatch.Row<OrderBook>, times: Times) {
        let b = row.payload
        field(row.event.id); field(row.event.provider.rawValue); field(row.event.channel.rawValue)
        field(row.event.symbol); instant(b.time.archiveMicroseconds, times)
        instant(row.event.receivedAt.archiveMicroseconds, times)
        field(arrayLiteral(b.asks.map(\.price))); field(arrayLiteral(b.asks.map(\.quantity)))
        field(arrayLiteral(b.bids.map(\.price))); field(arrayLiteral(b.bids.map(\.quantity)))
        field(b.totalAskQuantity); field(b.totalBidQuantity); field(b.sourceType.rawValue, last: true)
    }

    /// Microseconds since 1970 as a `timestamptz` in UTC: `2025-11-21 00:20:00.123456+00`.
    mutating func timestamp(_ microseconds: Int64, last: Bool = false) {
        let seconds = floorDiv(microseconds, 1_000_000)
        let days = floorDiv(seconds, 86_400)
        let micros = microseconds - seconds * 1_000_000
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = archiveCivilDate(day: days)
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

    mutating func field(_ value: Int64?, last: Bool = false) {
        if let value { buffer.writeString(String(value)) } else { buffer.writeStaticString("\\N") }
        buffer.writeInteger(last ? UInt8(ascii: "\n") : UInt8(ascii: "\t"))
    }
}
