import Foundation

/// How the archiver batches, retries and spools.
public struct ArchiverConfiguration: Sendable {
    /// Consumer group on the bus.
    public var group: String = "archiver"
    /// This process's consumer name in the group (default: host and process id).
    public var consumer: String = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    /// A batch is written when it holds this many events…
    public var batchSize: Int = 5_000
    /// …or when this much time has passed since its first event arrived.
    public var lingerTime: Duration = .milliseconds(200)
    /// Longest single wait on the bus (bounds how fast shutdown and spool probes are noticed).
    public var readWait: Duration = .milliseconds(200)
    /// Database attempts for one batch before it goes to the spool (first attempt included).
    public var attemptsBeforeSpooling: Int = 5
    /// First backoff between database attempts; doubles each time (1, 2, 4, … s)…
    public var backoffBase: Duration = .seconds(1)
    /// …up to this cap. Also the longest pause between database probes while spooling.
    public var backoffCap: Duration = .seconds(30)

    /// Events pending for this long with no batch committed is a stall: an alert is logged, the stall metric
    /// passes it and `/ready` fails until a batch commits.
    public var stallThreshold: Duration = .seconds(60)
    /// How often the stall watch looks (and updates `brokerhub_archiver_stall_seconds`).
    public var watchInterval: Duration = .seconds(1)
    /// How often the ledger gauges (`brokerhub_ledger_*`) are read and set (`LedgerMonitor`).
    public var ledgerInterval: Duration = .seconds(15)
    /// How long after a ledger reading the archiver must have been caught up before a difference counts as lost
    /// (`LedgerLossCheck`).
    public var ledgerGrace: Duration = .seconds(10)

    public init() {}

    /// Backoff before attempt `attempt + 1` (0-based): base × 2^attempt, capped.
    public func backoff(after attempt: Int) -> Duration {
        var delay = backoffBase
        for _ in 0..<min(attempt, 30) {
            delay *= 2
            if delay >= backoffCap { return backoffCap }
        }
        return min(delay, backoffCap)
    }
}
