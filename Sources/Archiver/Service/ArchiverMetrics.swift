import Metrics

/// The archiver's Prometheus series (`brokerhub_archiver_*`).
struct ArchiverMetrics: Sendable {
    let ticks = Counter(label: "brokerhub_archiver_rows_total", dimensions: [("table", "ticks")])
    let orderBooks = Counter(label: "brokerhub_archiver_rows_total", dimensions: [("table", "order_books")])
    let alerts = Counter(label: "brokerhub_archiver_rows_total", dimensions: [("table", "system_alerts")])
    let batches = Counter(label: "brokerhub_archiver_batches_total")
    let databaseErrors = Counter(label: "brokerhub_archiver_db_errors_total")
    let spooled = Counter(label: "brokerhub_archiver_spooled_total")
    let replayed = Counter(label: "brokerhub_archiver_replayed_total")
    let deadLetters = Counter(label: "brokerhub_archiver_dead_letters_total")
    let acknowledgeErrors = Counter(label: "brokerhub_archiver_ack_errors_total")
    /// Seconds since the last committed batch while events are pending (0 when idle).
    let stallSeconds = Gauge(label: "brokerhub_archiver_stall_seconds")
    /// 1 while the stall is past the threshold.
    let stalled = Gauge(label: "brokerhub_archiver_stalled")
    let stalls = Counter(label: "brokerhub_archiver_stalls_total")
    /// Time to write one batch (commit included), successful batches only.
    let batchLatency = Timer(label: "brokerhub_archiver_batch_seconds")

    func recordRows(_ summary: ArchiveWriteSummary) {
        if summary.ticks > 0 { ticks.increment(by: summary.ticks) }
        if summary.orderBooks > 0 { orderBooks.increment(by: summary.orderBooks) }
        if summary.alerts > 0 { alerts.increment(by: summary.alerts) }
    }
}

/// What one archiver did so far (for tests, status output and logs).
public struct ArchiverStatistics: Sendable, Hashable {
    /// Events read from the bus (redeliveries included).
    public var received = 0
    /// Batches committed to the database (spool replays included).
    public var batches = 0
    /// Rows inserted (duplicates excluded).
    public var rowsInserted = 0
    /// Events that went to the spool.
    public var spooledEvents = 0
    /// Events replayed from the spool into the database.
    public var replayedEvents = 0
    /// Events the database refused for their content, kept in the dead-letter spool.
    public var deadLettered = 0
    /// Failed database attempts.
    public var databaseErrors = 0
    /// Events acknowledged on the bus.
    public var acknowledged = 0
}
