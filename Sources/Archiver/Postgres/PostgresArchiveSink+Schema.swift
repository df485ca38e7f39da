import Foundation
import PostgresNIO

extension PostgresArchiveSink {
    nonisolated func sql(_ template: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: template.replacingOccurrences(of: "%S", with: schema))
    }

    /// Creates schema and tables; returns how the time-series tables are partitioned (an existing archive keeps
    /// its layout).
    func createSchema(on connection: PostgresConnection) async throws -> Partitioning {
        try await connection.query(sql("CREATE SCHEMA IF NOT EXISTS %S"), logger: logger)
        let existing = try await existingPartitioning(on: connection)
        let mode: Partitioning
        if let existing {
            mode = existing
        } else if try await timescaleAvailable(on: connection) {
            try await connection.query(sql("CREATE TABLE IF NOT EXISTS %S.ticks (\(PostgresArchiveSchema.ticksColumns))"), logger: logger)
            try await connection.query(sql("CREATE TABLE IF NOT EXISTS %S.order_books (\(PostgresArchiveSchema.orderBooksColumns))"), logger: logger)
            for table in ["ticks", "order_books"] {
                try await connection.query(
                    sql("SELECT create_hypertable('%S.\(table)', 'time', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE)"),
                    logger: logger
                )
            }
            mode = .hypertable
        } else {
            try await connection.query(
                sql("CREATE TABLE IF NOT EXISTS %S.ticks (\(PostgresArchiveSchema.ticksColumns)) PARTITION BY RANGE (time)"),
                logger: logger
            )
            try await connection.query(
                sql("CREATE TABLE IF NOT EXISTS %S.order_books (\(PostgresArchiveSchema.orderBooksColumns)) PARTITION BY RANGE (time)"),
                logger: logger
            )
            mode = .daily
        }
        for statement in PostgresArchiveSchema.common + PostgresArchiveSchema.migrations + PostgresArchiveSchema.indexes {
            try await connection.query(sql(statement), logger: logger)
        }
        logger.info("archive schema ready", metadata: ["archiver.partitioning": "\(mode.rawValue)"])
        return mode
    }

    /// nil when `ticks` does not exist yet.
    private func existingPartitioning(on connection: PostgresConnection) async throws -> Partitioning? {
        let rows = try await connection.query(
            """
            SELECT c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = \(configuration.schema) AND c.relname = 'ticks'
            """,
            logger: logger
        )
        for try await kind in rows.decode(String.self) {
            return kind == "p" ? .daily : .hypertable
        }
        return nil
    }

    /// True when the `timescaledb` extension is (or can be) installed in this database.
    private func timescaleAvailable(on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query("SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'", logger: logger)
        var available = false
        for try await count in rows.decode(Int64.self) { available = count > 0 }
        guard available else { return false }
        do {
            try await connection.query("CREATE EXTENSION IF NOT EXISTS timescaledb", logger: logger)
            return true
        } catch {
            logger.warning("timescaledb is available but cannot be created; using daily partitions", metadata: ["error": "\(String(reflecting: error))"])
            return false
        }
    }

    /// Creates the daily partitions (KST days) the batch needs and that are not known to exist yet.
    func ensurePartitions(for batch: ArchiveBatch, on connection: PostgresConnection) async throws {
        var days = Set<Int64>()
        for row in batch.ticks { days.insert(row.payload.time.archiveKSTDay) }
        for row in batch.orderBooks { days.insert(row.payload.time.archiveKSTDay) }
        for day in days.subtracting(knownPartitions).sorted() {
            let (year, month, dayOfMonth) = archiveCivilDate(day: day)
            let (nextYear, nextMonth, nextDay) = archiveCivilDate(day: day + 1)
            let suffix = String(format: "%04lld%02lld%02lld", year, month, dayOfMonth)
            let from = String(format: "%04lld-%02lld-%02lld 00:00:00+09", year, month, dayOfMonth)
            let to = String(format: "%04lld-%02lld-%02lld 00:00:00+09", nextYear, nextMonth, nextDay)
            for table in ["ticks", "order_books"] {
                try await connection.query(
                    sql("CREATE TABLE IF NOT EXISTS %S.\(table)_\(suffix) PARTITION OF %S.\(table) FOR VALUES FROM ('\(from)') TO ('\(to)')"),
                    logger: logger
                )
            }
            knownPartitions.insert(day)
        }
    }
}

extension PostgresArchiveSink {
    /// Drops the whole archive schema (benchmarks and tests on throwaway schemas only), then closes the sink.
    public func dropSchemaAndClose() async throws {
        try await withConnection { connection in
            try await connection.query(self.sql("DROP SCHEMA IF EXISTS %S CASCADE"), logger: self.logger)
        }
        try await close()
    }
}
