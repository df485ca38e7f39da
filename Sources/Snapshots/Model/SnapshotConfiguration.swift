import BrokerCore
import Foundation

/// Everything a snapshot schedule is told: what it observes, how often, when, how strictly, and where it
/// archives. `brokerhub snapshot` and `serve` (BROKERHUB_SNAPSHOT_*) read it in their one configuration
/// place; see docs/configuration.md.
public struct SnapshotConfiguration: Sendable {
    public var mode: ObservationSnapshot.Mode
    public var provider: Provider
    /// The symbols each cycle covers, in order, without repeats.
    public var symbols: [String]
    /// Time between cycle starts (swing 150 s, scalp 1 s by default).
    public var interval: Duration
    public var hours: SnapshotHours
    /// Hub calls of one cycle in flight at once (the hub's limiter paces them; this only bounds waiting tasks).
    public var concurrency: Int
    /// How long one call may wait in the hub (queue and broker) before it counts as failed.
    public var callTimeout: Duration
    /// The guard's staleness bound and switches.
    public var maximumAge: Duration
    public var rejectDuplicates: Bool
    public var rejectHalted: Bool
    /// The snapshots' archive; rejections go to a second archive in the same directory with `rejectsPrefix`.
    public var archive: JSONLArchiveConfiguration
    public var rejectsPrefix: String
    /// Stop after this many cycles (nil: run until stopped).
    public var maximumCycles: Int?
    /// The most of a provider's budget a scalp schedule may ask for on average.
    public var scalpBudgetShare: Double

    public init(mode: ObservationSnapshot.Mode, provider: Provider, symbols: [String], directory: String) {
        self.mode = mode
        self.provider = provider
        self.symbols = symbols
        interval = Self.defaultInterval(mode)
        hours = .regular
        concurrency = 16
        callTimeout = .seconds(30)
        maximumAge = .seconds(10)
        rejectDuplicates = true
        rejectHalted = true
        archive = JSONLArchiveConfiguration(directory: directory, prefix: "snapshots")
        rejectsPrefix = "rejects"
        maximumCycles = nil
        scalpBudgetShare = 0.5
    }

    /// Swing: every 150 s (the design's 2–3 minutes); scalp: every second.
    public static func defaultInterval(_ mode: ObservationSnapshot.Mode) -> Duration {
        mode == .swing ? .seconds(150) : .seconds(1)
    }

    /// The rejects archive: same directory, size and retention, never compressed in a way the snapshots are not.
    public var rejectsArchive: JSONLArchiveConfiguration {
        var rejects = archive
        rejects.prefix = rejectsPrefix
        return rejects
    }

    /// Refuses a configuration that cannot run (`request.invalid_argument`): no symbols, repeats, a bad
    /// interval or concurrency, or a scalp schedule that would take more than its share of `budgetPerSecond`
    /// (the provider's configured budget, when known).
    public func validate(budgetPerSecond: Double? = nil) throws {
        guard !symbols.isEmpty else { throw BrokerHubError(.invalidArgument, "no symbols to observe") }
        if let repeated = Dictionary(grouping: symbols, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw BrokerHubError(.invalidArgument, "symbol \(repeated.prefix(20)) is listed twice")
        }
        guard interval >= .milliseconds(100), interval <= .seconds(86_400) else {
            throw BrokerHubError(.invalidArgument, "interval must be 0.1 s to 1 day, got \(interval.timeInterval) s")
        }
        guard (1...256).contains(concurrency) else { throw BrokerHubError(.invalidArgument, "concurrency must be 1 to 256, got \(concurrency)") }
        guard archive.maxFileBytes >= 4096 else { throw BrokerHubError(.invalidArgument, "files must be allowed at least 4 KiB") }
        if mode == .scalp, let budgetPerSecond {
            let asked = SnapshotPlan.callsPerSecond(mode: mode, provider: provider, symbols: symbols.count, interval: interval)
            let allowed = budgetPerSecond * scalpBudgetShare
            guard asked <= allowed + 1e-9 else {
                throw BrokerHubError(
                    .invalidArgument,
                    String(format: "scalp: %d symbols every %.1f s is %.1f calls/s, more than %.0f%% of the %@ budget (%.1f/s); use fewer symbols or a longer interval",
                           symbols.count, interval.timeInterval, asked, scalpBudgetShare * 100, provider.rawValue, budgetPerSecond)
                )
            }
        }
    }
}
