/// Tables and statements of `SQLiteArchiveSink`. Times are microseconds since 1970 (UTC).
enum SQLiteArchiveSchema {
    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS ticks (
            id TEXT PRIMARY KEY, provider TEXT NOT NULL, channel TEXT NOT NULL, symbol TEXT NOT NULL,
            time_us INTEGER NOT NULL, received_at_us INTEGER NOT NULL, price INTEGER NOT NULL, volume INTEGER NOT NULL,
            side TEXT NOT NULL, change INTEGER NOT NULL, change_rate TEXT NOT NULL, cum_volume INTEGER, cum_value INTEGER,
            open INTEGER, high INTEGER, low INTEGER, ask_price INTEGER, bid_price INTEGER, source_type TEXT NOT NULL,
            market_class TEXT
        )
        """,
        "CREATE INDEX IF NOT EXISTS ticks_symbol_time ON ticks (symbol, time_us)",
        """
        CREATE TABLE IF NOT EXISTS order_books (
            id TEXT PRIMARY KEY, provider TEXT NOT NULL, channel TEXT NOT NULL, symbol TEXT NOT NULL,
            time_us INTEGER NOT NULL, received_at_us INTEGER NOT NULL, asks TEXT NOT NULL, bids TEXT NOT NULL,
            total_ask_quantity INTEGER NOT NULL, total_bid_quantity INTEGER NOT NULL, source_type TEXT NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS order_books_symbol_time ON order_books (symbol, time_us)",
        """
        CREATE TABLE IF NOT EXISTS system_alerts (
            id TEXT PRIMARY KEY, provider TEXT NOT NULL, channel TEXT NOT NULL, symbol TEXT NOT NULL,
            at_us INTEGER NOT NULL, received_at_us INTEGER NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL,
            alert_provider TEXT, alert_symbol TEXT
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS candles (
            provider TEXT NOT NULL, symbol TEXT NOT NULL, interval TEXT NOT NULL, start_us INTEGER NOT NULL,
            open INTEGER NOT NULL, high INTEGER NOT NULL, low INTEGER NOT NULL, close INTEGER NOT NULL,
            volume INTEGER NOT NULL, trading_value INTEGER, halted INTEGER NOT NULL, source_type TEXT NOT NULL,
            fetched_at_us INTEGER NOT NULL,
            PRIMARY KEY (provider, symbol, interval, start_us)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS candle_checkpoints (
            provider TEXT NOT NULL, symbol TEXT NOT NULL, interval TEXT NOT NULL, through TEXT NOT NULL,
            updated_at_us INTEGER NOT NULL, PRIMARY KEY (provider, symbol, interval)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS archive_counts (
            provider TEXT NOT NULL, channel TEXT NOT NULL, symbol TEXT NOT NULL, stored INTEGER NOT NULL,
            PRIMARY KEY (provider, channel, symbol)
        )
        """,
    ]

    /// Columns added after the first release: table, column, declaration — added to archives created before them.
    static let addedColumns = [
        ("ticks", "market_class", "TEXT"),
    ]

    static let insertTick = """
        INSERT OR IGNORE INTO ticks (id, provider, channel, symbol, time_us, received_at_us, price, volume, side, change,
            change_rate, cum_volume, cum_value, open, high, low, ask_price, bid_price, source_type, market_class)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static let insertOrderBook = """
        INSERT OR IGNORE INTO order_books (id, provider, channel, symbol, time_us, received_at_us, asks, bids,
            total_ask_quantity, total_bid_quantity, source_type)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static let insertAlert = """
        INSERT OR IGNORE INTO system_alerts (id, provider, channel, symbol, at_us, received_at_us, kind, message,
            alert_provider, alert_symbol)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static let candleFetchedAt = "SELECT fetched_at_us FROM candles WHERE provider = ? AND symbol = ? AND interval = ? AND start_us = ?"

    static let upsertCandle = """
        INSERT INTO candles (provider, symbol, interval, start_us, open, high, low, close, volume, trading_value, halted,
            source_type, fetched_at_us)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (provider, symbol, interval, start_us) DO UPDATE SET open = excluded.open, high = excluded.high,
            low = excluded.low, close = excluded.close, volume = excluded.volume, trading_value = excluded.trading_value,
            halted = excluded.halted, source_type = excluded.source_type, fetched_at_us = excluded.fetched_at_us
        """

    static let setCheckpoint = """
        INSERT INTO candle_checkpoints (provider, symbol, interval, through, updated_at_us) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (provider, symbol, interval) DO UPDATE SET through = excluded.through, updated_at_us = excluded.updated_at_us
        """

    static let addCount = """
        INSERT INTO archive_counts (provider, channel, symbol, stored) VALUES (?, ?, ?, ?)
        ON CONFLICT (provider, channel, symbol) DO UPDATE SET stored = stored + excluded.stored
        """
}
