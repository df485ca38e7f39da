import BrokerCore
import Foundation
import GRDB

/// The embedded store: one SQLite database (WAL) holding the durable queue and the encrypted tokens.
/// Opened once per process; every embedded component shares it.
public final class HubDatabase: Sendable {
    public let writer: any DatabaseWriter
    public let path: String?

    /// Opens (creating if needed) the database at `path` and migrates it.
    public init(path: String) throws {
        // Tokens and queued requests: readable by this user alone (0600 files in a 0700 directory).
        try PrivateFiles.prepareDatabase(at: path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        writer = try DatabasePool(path: path, configuration: configuration)
        self.path = path
        try Self.migrator.migrate(writer)
    }

    /// An in-memory database (tests).
    public init() throws {
        writer = try DatabaseQueue()
        path = nil
        try Self.migrator.migrate(writer)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("hub-v1") { db in
            try db.execute(sql: """
                CREATE TABLE hub_tasks (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    idempotency_key TEXT UNIQUE,
                    priority INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    enqueued_at DOUBLE NOT NULL,
                    lease_owner TEXT,
                    lease_expires_at DOUBLE,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    outcome BLOB,
                    finished_at DOUBLE,
                    updated_at DOUBLE NOT NULL
                );
                CREATE INDEX hub_tasks_pending ON hub_tasks(state, priority, seq);
                CREATE INDEX hub_tasks_lease ON hub_tasks(state, lease_expires_at);
                CREATE INDEX hub_tasks_finished ON hub_tasks(finished_at);
                CREATE TABLE hub_tokens (
                    key TEXT PRIMARY KEY,
                    ciphertext BLOB NOT NULL,
                    issued_at DOUBLE NOT NULL,
                    expires_at DOUBLE NOT NULL,
                    updated_at DOUBLE NOT NULL
                );
                CREATE TABLE hub_cache (
                    key TEXT PRIMARY KEY,
                    value BLOB NOT NULL,
                    stored_at DOUBLE NOT NULL
                );
                """)
        }
        // hub-v1 created a `hub_cache` table nothing ever used (the history cache is `HistoryCache`, in memory);
        // databases that have it lose it.
        migrator.registerMigration("hub-v2-drop-cache") { db in
            try db.execute(sql: "DROP TABLE IF EXISTS hub_cache")
        }
        return migrator
    }
}
