import GRDB

/// The journal's tables. Created with `IF NOT EXISTS` in one immediate transaction, so two processes opening
/// the same file at once cannot race.
///
/// - `bus_events`: the log. `seq` is AUTOINCREMENT, so sequence numbers never repeat even after every
///   row was compacted away.
/// - `bus_counts`: published events per provider, channel and symbol, updated in the append transaction.
/// - `bus_groups`: each consumer group's highest delivered `seq`.
/// - `bus_pending`: deliveries not yet acknowledged (per group and seq): the owner, its bus instance and the
///   lease expiry. Acknowledging deletes the row.
enum JournalSchema {
    static let version = 1

    static func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS bus_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
            INSERT OR IGNORE INTO bus_meta(key, value) VALUES ('schema', '\(version)');
            CREATE TABLE IF NOT EXISTS bus_events (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                published_at DOUBLE NOT NULL,
                body BLOB NOT NULL
            );
            CREATE TABLE IF NOT EXISTS bus_counts (
                provider TEXT NOT NULL,
                channel TEXT NOT NULL,
                symbol TEXT NOT NULL,
                count INTEGER NOT NULL,
                PRIMARY KEY (provider, channel, symbol)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS bus_groups (
                name TEXT PRIMARY KEY,
                last_delivered INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS bus_pending (
                group_name TEXT NOT NULL,
                seq INTEGER NOT NULL,
                consumer TEXT NOT NULL,
                instance TEXT NOT NULL,
                lease_expires_at DOUBLE NOT NULL,
                deliveries INTEGER NOT NULL,
                PRIMARY KEY (group_name, seq)
            ) WITHOUT ROWID;
            """)
        let stored = try String.fetchOne(db, sql: "SELECT value FROM bus_meta WHERE key = 'schema'")
        guard stored == String(version) else {
            throw DatabaseError(message: "journal schema \(stored ?? "?") is not \(version)")
        }
    }
}
