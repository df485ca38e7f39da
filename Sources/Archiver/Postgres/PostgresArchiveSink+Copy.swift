import BrokerCore
import PostgresNIO
import Realtime

extension PostgresArchiveSink {
    /// A batch's rows in COPY text format, in chunks of about 256 KiB — formatted once, before the transaction
    /// starts and outside the operation's deadline: the server never waits inside a transaction for the client
    /// to format, a retried batch is not formatted again, and the staging way sends the very same bytes as the
    /// direct way (the staging tables have the keyed tables' column types).
    struct CopyText: Sendable {
        var ticks: [ByteBuffer] = []
        var orderBooks: [ByteBuffer] = []
        var alerts: [ByteBuffer] = []

        init(_ batch: ArchiveBatch) {
            ticks = Self.chunks(batch.ticks) { text, row in text.tick(row) }
            orderBooks = Self.chunks(batch.orderBooks) { text, row in text.orderBook(row) }
            alerts = Self.chunks(batch.alerts) { text, row in text.alert(row) }
        }

        private static func chunks<Row>(_ rows: [Row], _ write: (inout CopyTextWriter, Row) -> Void) -> [ByteBuffer] {
            guard !rows.isEmpty else { return [] }
            var chunks: [ByteBuffer] = []
            var text = CopyTextWriter()
            for row in rows {
                write(&text, row)
                if text.buffer.readableBytes >= 256 * 1024 {
                    chunks.append(text.buffer)
                    text = CopyTextWriter()
                }
            }
            if text.buffer.readableBytes > 0 { chunks.append(text.buffer) }
            return chunks
        }
    }

    /// The COPY path. First the direct way, inside a savepoint: ticks and order books COPY'd straight into
    /// their keyed tables and the counts added from the batch itself. A unique violation — the batch, or part
    /// of it, was stored before (a redelivery) — rolls back to the savepoint, and the staging way sorts it out:
    /// COPY into the staging tables, then one counting `INSERT … ON CONFLICT DO NOTHING` per table. Alerts
    /// (few) always take the staging way.
    func copy(_ batch: ArchiveBatch, text: CopyText, on connection: PostgresConnection) async throws -> ArchiveWriteSummary {
        var staged = text
        var summary = ArchiveWriteSummary()
        if !batch.ticks.isEmpty || !batch.orderBooks.isEmpty {
            try await connection.query("SAVEPOINT bh_direct", logger: logger)
            do {
                summary = try await copyDirect(batch, text: text, on: connection)
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
    private func copyDirect(_ batch: ArchiveBatch, text: CopyText, on connection: PostgresConnection) async throws -> ArchiveWriteSummary {
        var counts: [LedgerKey: Int64] = [:]
        try await send(text.ticks, to: qualified("ticks"), columns: PostgresArchiveSchema.ticksColumnList, on: connection)
        for row in batch.ticks { counts[row.key, default: 0] += 1 }
        try await send(text.orderBooks, to: qualified("order_books"), columns: PostgresArchiveSchema.orderBooksColumnList, on: connection)
        for row in batch.orderBooks { counts[row.key, default: 0] += 1 }
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

    /// The staging way: the same text into the staging tables, then one counting insert per table.
    private func copyStaged(_ text: CopyText, on connection: PostgresConnection) async throws -> ArchiveWriteSummary {
        var summary = ArchiveWriteSummary()
        let tables = [
            (text.ticks, "ticks", PostgresArchiveSchema.ticksInsertColumns, PostgresArchiveSchema.ticksColumnList),
            (text.orderBooks, "order_books", PostgresArchiveSchema.orderBooksInsertColumns, PostgresArchiveSchema.orderBooksColumnList),
            (text.alerts, "system_alerts", PostgresArchiveSchema.alertsInsertColumns, PostgresArchiveSchema.alertsColumnList),
        ]
        for (chunks, table, columns, columnList) in tables where !chunks.isEmpty {
            try await send(chunks, to: "bh_stage_" + table, columns: columnList, on: connection)
            let inserted = try await insertCounting(table: table, columns: columns, select: columns, from: "bh_stage_" + table, on: connection)
            switch table {
            case "ticks": summary.ticks = inserted
            case "order_books": summary.orderBooks = inserted
            default: summary.alerts = inserted
            }
        }
        return summary
    }

    /// One `COPY … FROM STDIN` of formatted chunks (nothing when there are none).
    private func send(_ chunks: [ByteBuffer], to table: String, columns: [String], on connection: PostgresConnection) async throws {
        guard !chunks.isEmpty else { return }
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

    /// Text, escaped as COPY needs (a backslash, tab, newline or carriage return), or `\N` for NULL.
    mutating func field(_ value: String?, last: Bool = false) {
        if let value {
            if value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 < 0x20 }) {
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
                buffer.writeString(value)
            }
        } else {
            buffer.writeStaticString("\\N")
        }
        separator(last)
    }

    /// A tick's row, in `ticksInsertColumns` order.
    mutating func tick(_ row: ArchiveBatch.Row<Tick>) {
        let t = row.payload
        event(row.event)
        timestamp(t.time.archiveMicroseconds); timestamp(row.event.receivedAt.archiveMicroseconds)
        field(t.price); field(t.volume)
        field(t.side.rawValue); field(t.change); field(t.changeRate.description)
        field(t.cumVolume); field(t.cumValue); field(t.open); field(t.high); field(t.low)
        field(t.askPrice); field(t.bidPrice); field(t.sourceType.rawValue)
        field(t.marketClass, last: true)
    }

    /// An order book's row, in `orderBooksInsertColumns` order.
    mutating func orderBook(_ row: ArchiveBatch.Row<OrderBook>) {
        let b = row.payload
        event(row.event)
        timestamp(b.time.archiveMicroseconds); timestamp(row.event.receivedAt.archiveMicroseconds)
        array(b.asks.map(\.price)); array(b.asks.map(\.quantity))
        array(b.bids.map(\.price)); array(b.bids.map(\.quantity))
        field(b.totalAskQuantity); field(b.totalBidQuantity); field(b.sourceType.rawValue, last: true)
    }

    /// A system alert's row, in `alertsInsertColumns` order.
    mutating func alert(_ row: ArchiveBatch.Row<RealtimeAlert>) {
        let a = row.payload
        event(row.event)
        timestamp(a.at.archiveMicroseconds); timestamp(row.event.receivedAt.archiveMicroseconds)
        field(a.kind); field(a.message); field(a.provider?.rawValue); field(a.symbol, last: true)
    }

    /// The columns every row starts with: id, provider, channel, symbol.
    private mutating func event(_ event: RealtimeEvent) {
        field(event.id); field(event.provider.rawValue); field(event.channel.rawValue); field(event.symbol)
    }

    /// `{1,2,3}`: an integer array literal (its braces and commas need no escaping).
    private mutating func array(_ values: [Int64]) {
        buffer.writeInteger(UInt8(ascii: "{"))
        for (index, value) in values.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            integer(value)
        }
        buffer.writeInteger(UInt8(ascii: "}"))
        separator(false)
    }

    private mutating func separator(_ last: Bool) {
        buffer.writeInteger(last ? UInt8(ascii: "\n") : UInt8(ascii: "\t"))
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
        separator(last)
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
        if let value { integer(value) } else { buffer.writeStaticString("\\N") }
        separator(last)
    }

    /// `value` in decimal, without a separator (no intermediate string).
    private mutating func integer(_ value: Int64) {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: 20 digits and a sign fit
        withUnsafeMutableBytes(of: &scratch) { bytes in
            var magnitude = value.magnitude
            var index = bytes.count
            repeat {
                index -= 1
                bytes[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                index -= 1
                bytes[index] = UInt8(ascii: "-")
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[index...]))
        }
    }
}
