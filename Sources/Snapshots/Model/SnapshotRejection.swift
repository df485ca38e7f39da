import BrokerCore
import Foundation

/// A snapshot the pipeline did not archive, with why: counted by reason and written to the rejects file,
/// never dropped silently.
public struct SnapshotRejection: Sendable, Hashable {
    /// Why a snapshot was refused (the `reason` label of `brokerhub_snapshot_rejected_total`).
    public enum Reason: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// A required field is absent or empty.
        case missingField = "missing_field"
        /// A value of the wrong sign, size or shape (price ≤ 0, negative volume, low above high, …).
        case invalidValue = "invalid_value"
        /// The price is outside the day's upper/lower limits.
        case outsideLimits = "outside_limits"
        /// The exchange time is outside the trading session the schedule observes.
        case outsideSession = "outside_session"
        /// Older than the guard's maximum age when received.
        case stale
        /// The same market state as the previous cycle's snapshot of the symbol.
        case duplicate
        /// The broker marks the symbol as halted.
        case halted
        /// The broker does not know the symbol (it answers price 0), or the answer had no row for it.
        case unknownSymbol = "unknown_symbol"

        public var description: String { rawValue }
    }

    public var reason: Reason
    public var provider: Provider
    public var symbol: String
    /// What exactly was wrong, for a person reading the rejects file.
    public var detail: String
    public var mode: ObservationSnapshot.Mode
    public var cycle: Int
    /// When the pipeline refused it.
    public var at: Date
    /// The snapshot as received, when there was one.
    public var snapshot: ObservationSnapshot?

    public init(
        reason: Reason, provider: Provider, symbol: String, detail: String, mode: ObservationSnapshot.Mode, cycle: Int, at: Date,
        snapshot: ObservationSnapshot? = nil
    ) {
        self.reason = reason
        self.provider = provider
        self.symbol = symbol
        self.detail = detail
        self.mode = mode
        self.cycle = cycle
        self.at = at
        self.snapshot = snapshot
    }
}
