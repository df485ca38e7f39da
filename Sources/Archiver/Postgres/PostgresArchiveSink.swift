import BrokerCore
import Foundation
import Logging
import Metrics
import PostgresNIO
import Realtime
import Synchronization

/// The PostgreSQL sink: one connection (reconnected after any error; every operation bounded by
/// `operationTimeout`, see `withConnection`), tables keyed by (event id, time),
/// partitioned by KST day — a TimescaleDB hypertable when the extension is available, native declarative
/// partitions otherwise (created on demand before a batch touches a new day).
public actor PostgresArchiveSink: ArchiveSink {
    /// How the time-series tables are partitioned.
    public enum Partitioning: String, Sendable {
        /// TimescaleDB hypertables with one-day chunks.
        case hypertable
        /// `PARTITION BY RANGE (time)` with one partition per KST day.
        case daily
    }

    public nonisolated let configuration: PostgresSinkConfiguration
    let logger: Logger
    var connection: PostgresConnection?
    /// Ends the operation in flight on `connection` as soon as its channel closes.
    var watch = ConnectionWatch()
    var connectionID = 0
    /// Set by `prepare()`.
    public private(set) var partitioning: Partitioning?
    /// Days (KST day numbers) whose partitions are known to exist.
    var knownPartitions: Set<Int64> = []
    var stagingReady = false
    /// COPY batches that met rows stored before and went the staging way (also counted in
    /// `brokerhub_archiver_copy_fallbacks_total`).
    public internal(set) var copyFallbacks = 0
    var closed = false
    /// `withConnection` runs one operation at a time: whether one is inside, and who waits for it.
    var operationInside = false
    var operationsWaiting: [CheckedContinuation<Void, Never>] = []

    public init(configuration: PostgresSinkConfiguration, logger: Logger = Logger(label: "brokerhub.archiver.postgres")) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "postgres.host"] = "\(configuration.host):\(configuration.port)"
        logger[metadataKey: "postgres.schema"] = "\(configuration.schema)"
        self.logger = logger
    }

    deinit {
        // A sink dropped without `close()` still releases its connection.
        let future: EventLoopFuture<Void>? = connection?.close()
        _ = future
    }

    /// The schema name, quoted for SQL.
    nonisolated var schema: String { "\"\(configuration.schema)\"" }

    public func prepare() async throws {
        let mode = try await withConnection { connection in try await self.createSchema(on: connection) }
        partitioning = mode
    }

    func markStagingReady() { stagingReady = true }

    @discardableResult
    public func write(_ events: [RealtimeEvent]) async throws -> ArchiveWriteSummary {
        let batch = ArchiveBatch(events)
        guard !batch.isEmpty else { return ArchiveWriteSummary() }
        if partitioning == nil { try await prepare() }
        let daily = partitioning == .daily
        // Formatted here, once: not inside the transaction, not against the operation's deadline.
        let text = configuration.method == .copy ? CopyText(batch) : nil
        return try await withConnection { connection in
            if daily { try await self.ensurePartitions(for: batch, on: connection) }
            let method = self.configuration.method
            if method == .copy, await !self.stagingReady {
                for statement in PostgresArchiveSchema.staging { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger) }
                await self.markStagingReady()
            }
            // BEGIN … COMMIT by hand, not `withTransaction`: on an error that one sends ROLLBACK, and when the
            // error was the server going away, a query on the closed connection never completes (postgres-nio
            // drops it silently) — the archiver stalled there. An error here closes the connection instead,
            // which rolls the transaction back just as well.
            try await connection.query("BEGIN", logger: self.logger)
            let summary: ArchiveWriteSummary
            switch method {
            case .copy: summary = try await self.copy(batch, text: text ?? CopyText(batch), on: connection)
            case .unnest: summary = try await self.unnest(batch, on: connection)
            }
            try await connection.query("COMMIT", logger: self.logger)
            return summary
        }
    }

    public func storedCounts() async throws -> [LedgerKey: Int64] {
        try await withConnection { connection in
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT provider, channel, symbol, stored FROM \(self.schema).archive_counts"),
                logger: self.logger
            )
            var counts: [LedgerKey: Int64] = [:]
            for try await (provider, channel, symbol, stored) in rows.decode((String, String, String, Int64).self) {
                guard let channel = RealtimeChannel(rawValue: channel) else { continue }
                counts[LedgerKey(provider: provider, channel: channel, symbol: symbol)] = stored
            }
            return counts
        }
    }

    /// SQLSTATE class 22 (data exception, e.g. a NUL byte in text) or 23 (integrity constraint violation).
    public nonisolated func rejects(_ error: any Error) -> Bool {
        var current: (any Error)? = error
        while let error = current {
            if let server = error as? PSQLError, let state = server.serverInfo?[.sqlState] {
                return state.hasPrefix("22") || state.hasPrefix("23")
            }
            if let transaction = error as? PostgresTransactionError {
                current = transaction.closureError ?? transaction.commitError
            } else {
                current = (error as? ArchiverError)?.underlying
            }
        }
        return false
    }

    public func rowCount(_ table: ArchiveTable) async throws -> Int {
        try await withConnection { connection in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(self.schema).\(table.rawValue)"), logger: self.logger)
            for try await count in rows.decode(Int64.self) { return Int(count) }
            return 0
        }
    }

    /// Names of the partitions (or hypertable chunks) of `ticks` or `order_books`.
    public func partitions(of table: String) async throws -> [String] {
        precondition(["ticks", "order_books"].contains(table))
        let sql: String
        switch partitioning {
        case .hypertable:
            sql = """
                SELECT chunk_name FROM timescaledb_information.chunks
                WHERE hypertable_schema = '\(configuration.schema)' AND hypertable_name = '\(table)' ORDER BY 1
                """
        case .daily, nil:
            sql = """
                SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = '\(schema).\(table)'::regclass ORDER BY 1
                """
        }
        return try await withConnection { connection in
            var names: [String] = []
            for try await name in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: self.logger).decode(String.self) {
                names.append(name)
            }
            return names
        }
    }

    public func close() async throws {
        closed = true
        let connection = self.connection
        self.connection = nil
        try? await connection?.close()
    }

    /// Runs `body` on the open connection (connecting first), bounded by `operationTimeout`; any error drops
    /// the connection so the next call starts afresh, and is rethrown as `sink.unavailable` (`sink.timeout`
    /// when the bound passed).
    ///
    /// The bound resumes the caller even when postgres-nio never completes the operation (a request written
    /// to a connection the server just closed is dropped without failing its promise); the connection is then
    /// closed and abandoned along with the operation's task.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        // One operation at a time on the one connection. The actor alone does not give that: while one caller
        // awaits (connecting, querying), another enters — two callers that both found no connection each opened
        // one and the first was dropped unclosed (postgres-nio traps on that), and a read from the ledger
        // monitor could land inside the archiver's BEGIN … COMMIT and fail with it.
        // Not cancellable while waiting: a wait lasts at most one operation, bounded by its own deadline.
        if operationInside {
            await withCheckedContinuation { operationsWaiting.append($0) }
        } else {
            operationInside = true
        }
        do {
            let result = try await withOwnedConnection(body)
            nextOperation()
            return result
        } catch {
            nextOperation()
            throw error
        }
    }

    /// Lets the next waiting operation in (the turn passes straight to it), or marks the connection free.
    private func nextOperation() {
        if operationsWaiting.isEmpty { operationInside = false } else { operationsWaiting.removeFirst().resume() }
    }

    private func withOwnedConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        guard !closed else { throw ArchiverError(.closed, "the PostgreSQL sink is closed") }
        do {
            let connection: PostgresConnection
            if let open = self.connection, !open.isClosed {
                connection = open
            } else {
                connectionID += 1
                stagingReady = false
                connection = try await PostgresConnection.connect(
                    configuration: configuration.connection, id: connectionID, logger: logger
                )
                self.connection = connection
                let watch = ConnectionWatch()
                self.watch = watch
                connection.closeFuture.whenComplete { _ in watch.closed() }
            }
            let watch = self.watch
            let copying = configuration.method == .copy
            let timedOut = TimeoutFlag()
            defer { watch.onClose(nil) }
            return try await withDeadline(configuration.operationTimeout, operation: "PostgreSQL operation", onTimeout: {
                timedOut.set()
                // Closing mid-COPY traps in postgres-nio (its state machine refuses it): a COPY connection is
                // closed when its abandoned operation ends (below), any other one now.
                if !copying { Self.closeAbandoned(connection) }
            }, abort: { fail in
                // A request written to a channel that has closed is dropped by postgres-nio without failing:
                // end the wait when the server goes away instead of at the timeout.
                watch.onClose { fail(ArchiverError(.sinkUnavailable, "the PostgreSQL connection closed during the operation")) }
            }) {
                defer { if copying, timedOut.isSet { Self.closeAbandoned(connection) } }
                return try await body(connection)
            }
        } catch let error as ArchiverError {
            throw error
        } catch {
            let connection = self.connection
            self.connection = nil
            stagingReady = false
            if let timeout = error as? DeadlineExceeded {
                PostgresArchiveSink.timeouts.increment()
                logger.error("PostgreSQL operation timed out; connection abandoned", metadata: ["postgres.timeout": "\(timeout.duration)"])
                throw ArchiverError(.sinkTimeout, "PostgreSQL \(configuration.host):\(configuration.port) did not answer within \(timeout.duration)", underlying: timeout)
            }
            if error is CancellationError {
                if configuration.method != .copy { try? await connection?.close() }
                throw error
            }
            try? await connection?.close()
            throw ArchiverError(.sinkUnavailable, "PostgreSQL \(configuration.host):\(configuration.port) failed", underlying: error)
        }
    }

    /// Closes a connection nobody holds any more, keeping it alive until the close has completed
    /// (postgres-nio asserts that a connection is closed before it is released).
    static func closeAbandoned(_ connection: PostgresConnection) {
        guard !connection.isClosed else { return }
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// `brokerhub_archiver_db_timeouts_total`: operations that hit `operationTimeout`.
    static let timeouts = Counter(label: "brokerhub_archiver_db_timeouts_total")

    /// `brokerhub_archiver_copy_fallbacks_total`: COPY batches that met rows stored before (a redelivery) and
    /// went the staging way.
    static let directFallbacks = Counter(label: "brokerhub_archiver_copy_fallbacks_total")
}

/// Set once an operation's deadline passed (read by the abandoned operation when it ends).
private final class TimeoutFlag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}

/// Calls the registered handler when a connection's channel closes (registered once per connection, so that
/// per-operation handlers never pile up on a long-lived connection's close future).
final class ConnectionWatch: Sendable {
    private let state = Mutex<(closed: Bool, handler: (@Sendable () -> Void)?)>((false, nil))

    /// Sets (or clears) the handler; one registered after the close runs at once.
    func onClose(_ handler: (@Sendable () -> Void)?) {
        let runNow = state.withLock { state -> Bool in
            state.handler = handler
            return state.closed && handler != nil
        }
        if runNow { handler?() }
    }

    func closed() {
        let handler = state.withLock { state -> (@Sendable () -> Void)? in
            state.closed = true
            return state.handler
        }
        handler?()
    }
}

