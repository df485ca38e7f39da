import Realtime

/// DDL of `PostgresArchiveSink`. `%S` is replaced by the quoted schema name.
enum PostgresArchiveSchema {
    static let ticksColumns = """
        id text NOT NULL, provider text NOT NULL, channel text NOT NULL, symbol text NOT NULL,
        time timestamptz NOT NULL, received_at timestamptz NOT NULL, price bigint NOT NULL, volume bigint NOT NULL,
        side text NOT NULL, change bigint NOT NULL, change_rate numeric NOT NULL, cum_volume bigint, cum_value bigint,
        open bigint, high bigint, low bigint, ask_price bigint, bid_price bigint, source_type text NOT NULL,
        market_class text, PRIMARY KEY (id, time)
        """

    static let orderBooksColumns = """
        id text NOT NULL, provider text NOT NULL, channel text NOT NULL, symbol text NOT NULL,
        time timestamptz NOT NULL, received_at timestamptz NOT NULL,
        ask_prices bigint[] NOT NULL, ask_quantities bigint[] NOT NULL, bid_prices bigint[] NOT NULL,
        bid_quantities bigint[] NOT NULL, total_ask_quantity bigint NOT NULL, total_bid_quantity bigint NOT NULL,
        source_type text NOT NULL, PRIMARY KEY (id, time)
        """

    /// Tables that are never partitioned.
    static let common = [
        """
        CREATE TABLE IF NOT EXISTS %S.system_alerts (
            id text PRIMARY KEY, provider text NOT NULL, channel text NOT NULL, symbol text NOT NULL,
            at timestamptz NOT NULL, received_at timestamptz NOT NULL, kind text NOT NULL, message text NOT NULL,
            alert_provider text, alert_symbol text
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS %S.candles (
            provider text NOT NULL, symbol text NOT NULL, interval text NOT NULL, start timestamptz NOT NULL,
            open bigint NOT NULL, high bigint NOT NULL, low bigint NOT NULL, close bigint NOT NULL, volume bigint NOT NULL,
            trading_value bigint, halted boolean NOT NULL, source_type text NOT NULL, fetched_at timestamptz NOT NULL,
            PRIMARY KEY (provider, symbol, interval, start)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS %S.candle_checkpoints (
            provider text NOT NULL, symbol text NOT NULL, interval text NOT NULL, through text NOT NULL,
            updated_at timestamptz NOT NULL, PRIMARY KEY (provider, symbol, interval)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS %S.archive_counts (
            provider text NOT NULL, channel text NOT NULL, symbol text NOT NULL, stored bigint NOT NULL,
            PRIMARY KEY (provider, channel, symbol)
        )
        """,
    ]

    /// Columns added after the first release, for archives created before them.
    static let migrations = [
        "ALTER TABLE %S.ticks ADD COLUMN IF NOT EXISTS market_class text",
    ]

    static let indexes = [
        "CREATE INDEX IF NOT EXISTS ticks_symbol_time ON %S.ticks (symbol, time)",
        "CREATE INDEX IF NOT EXISTS order_books_symbol_time ON %S.order_books (symbol, time)",
    ]

    /// Per-connection staging tables for the COPY path (emptied at every commit), with the keyed tables' column
    /// names and types: the staging way sends the same COPY text as the direct way.
    static let staging = [
        """
        CREATE TEMP TABLE IF NOT EXISTS bh_stage_ticks (
            id text, provider text, channel text, symbol text, time timestamptz, received_at timestamptz, price bigint,
            volume bigint, side text, change bigint, change_rate numeric, cum_volume bigint, cum_value bigint, open bigint,
            high bigint, low bigint, ask_price bigint, bid_price bigint, source_type text, market_class text
        ) ON COMMIT DELETE ROWS
        """,
        """
        CREATE TEMP TABLE IF NOT EXISTS bh_stage_order_books (
            id text, provider text, channel text, symbol text, time timestamptz, received_at timestamptz,
            ask_prices bigint[], ask_quantities bigint[], bid_prices bigint[], bid_quantities bigint[],
            total_ask_quantity bigint, total_bid_quantity bigint, source_type text
        ) ON COMMIT DELETE ROWS
        """,
        """
        CREATE TEMP TABLE IF NOT EXISTS bh_stage_system_alerts (
            id text, provider text, channel text, symbol text, at timestamptz, received_at timestamptz, kind text,
            message text, alert_provider text, alert_symbol text
        ) ON COMMIT DELETE ROWS
        """,
    ]

    /// Microseconds since 1970 as `timestamptz`, exactly.
    static func timestamp(_ column: String) -> String {
        "(TIMESTAMPTZ 'epoch' + \(column) * INTERVAL '1 microsecond')"
    }

    /// `INSERT … SELECT <select> FROM <source> ON CONFLICT DO NOTHING`, adding what was inserted to the counts in
    /// the same statement (a backfilled trade in its own row, as `RealtimeEvent.archiveLedgerKey` says); returns the
    /// inserted row count.
    static func insertCounting(table: String, columns: String, select: String, from source: String) -> String {
        let provider = table == "ticks"
            ? "CASE WHEN source_type = 'backfill' THEN provider || '\(LedgerKey.backfillSuffix)' ELSE provider END" : "provider"
        return """
        WITH ins AS (
            INSERT INTO %S.\(table) (\(columns)) SELECT \(select) FROM \(source)
            ON CONFLICT DO NOTHING RETURNING \(provider) AS provider, channel, symbol
        ), counted AS (
            INSERT INTO %S.archive_counts AS c (provider, channel, symbol, stored)
            SELECT provider, channel, symbol, count(*) FROM ins GROUP BY provider, channel, symbol
            ORDER BY provider, channel, symbol
            ON CONFLICT (provider, channel, symbol) DO UPDATE SET stored = c.stored + EXCLUDED.stored
        )
        SELECT count(*)::bigint FROM ins
        """
    }

    /// Adds `$1` providers, `$2` channels, `$3` symbols, `$4` counts (arrays, in key order) to the stored counts.
    static func addCounts(schema: String) -> String {
        """
        INSERT INTO \(schema).archive_counts AS c (provider, channel, symbol, stored)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[])
        ON CONFLICT (provider, channel, symbol) DO UPDATE SET stored = c.stored + EXCLUDED.stored
        """
    }

    /// The columns in the order `COPY` gets them (both ways).
    static let ticksColumnList = columnList(ticksInsertColumns)
    static let orderBooksColumnList = columnList(orderBooksInsertColumns)
    static let alertsColumnList = columnList(alertsInsertColumns)

    private static func columnList(_ columns: String) -> [String] {
        columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    static let ticksInsertColumns = """
        id, provider, channel, symbol, time, received_at, price, volume, side, change, change_rate, cum_volume,
        cum_value, open, high, low, ask_price, bid_price, source_type, market_class
        """

    static let orderBooksInsertColumns = """
        id, provider, channel, symbol, time, received_at, ask_prices, ask_quantities, bid_prices, bid_quantities,
        total_ask_quantity, total_bid_quantity, source_type
        """

    static let alertsInsertColumns = """
        id, provider, channel, symbol, at, received_at, kind, message, alert_provider, alert_symbol
        """
}
