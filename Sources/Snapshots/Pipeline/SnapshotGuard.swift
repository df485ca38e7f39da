import BrokerCore
import Foundation

/// The second pipeline stage, pure: refuses what is valid but must not be archived as an observation —
/// stale answers, a repeat of the previous cycle's state, halted symbols.
public struct SnapshotGuard: Sendable {
    /// The oldest an answer may be when received (receive time − exchange time).
    public var maximumAge: Duration
    /// Whether a snapshot with the same market state as the symbol's previous one is refused.
    public var rejectDuplicates: Bool
    /// Whether snapshots of halted symbols are refused.
    public var rejectHalted: Bool

    public init(maximumAge: Duration = .seconds(10), rejectDuplicates: Bool = true, rejectHalted: Bool = true) {
        self.maximumAge = maximumAge
        self.rejectDuplicates = rejectDuplicates
        self.rejectHalted = rejectHalted
    }

    /// Nil when the snapshot may be archived; `previous` is the symbol's last valid snapshot.
    public func check(_ snapshot: ObservationSnapshot, previous: ObservationSnapshot?) -> (SnapshotRejection.Reason, String)? {
        let age = snapshot.receivedAt.timeIntervalSince(snapshot.exchangeTime)
        if age > maximumAge.timeInterval {
            return (.stale, "received \(Self.seconds(age)) after its exchange time (at most \(Self.seconds(maximumAge.timeInterval)))")
        }
        if age < -maximumAge.timeInterval {
            return (.invalidValue, "exchange time \(Self.seconds(-age)) after it was received")
        }
        if rejectHalted, snapshot.halted { return (.halted, "\(snapshot.symbol) is halted") }
        if rejectDuplicates, let previous, previous.cycle < snapshot.cycle, snapshot.sameMarketState(as: previous) {
            return (.duplicate, "same state as cycle \(previous.cycle)")
        }
        return nil
    }

    static func seconds(_ value: Double) -> String { String(format: "%.1f s", value) }
}
