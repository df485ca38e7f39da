import Foundation

/// The archiver's policy, pure: when a batch is written, retried, spooled or acknowledged, and when the
/// database is probed while it is down. The `Archiver` loop feeds it what happened (a batch read, a write or
/// spool outcome) and performs the action it returns; nothing here waits or does I/O.
///
/// - Up: a batch gets `attemptsBeforeSpooling` database attempts (one during a graceful shutdown), `backoff`
///   apart; if all fail the database is down and the batch is spooled.
/// - Down: batches are spooled at once, except when a probe is due (then one attempt). Probes — and spool
///   replays — are due `backoff(failedProbes)` after the last failure: 1, 2, 4, … s up to the cap.
/// - A spool write that fails is retried after a backoff, trying the database again first; during a graceful
///   shutdown the batch is left unacknowledged instead (the bus delivers it again).
/// - A batch is acknowledged only once it is in the database or the spool.
public struct ArchiverMachine: Sendable {
    public enum Health: Sendable, Equatable {
        case up
        /// `failedProbes` attempts failed in a row; the next is due at `nextProbe`.
        case down(failedProbes: Int, nextProbe: Date)
    }

    /// The batch in hand.
    public enum Batch: Sendable, Equatable {
        case none
        /// `made` database attempts so far, of `allowed`.
        case writing(made: Int, allowed: Int)
        /// Going to the spool; `failures` spool writes failed so far.
        case spooling(failures: Int)
        /// A spool write failed: the database is tried once more before the next spool write.
        case retryingAfterSpoolFailure(failures: Int)
    }

    /// What the loop does next.
    public enum Action: Sendable, Equatable {
        /// Write the batch to the database after waiting `after`.
        case write(after: Duration)
        /// Append the batch to the spool (fsynced).
        case spool
        /// Acknowledge the batch on the bus: it is durable (`spooled`: in the spool, not the database).
        case acknowledge(spooled: Bool)
        /// Leave the batch unacknowledged (shutting down with the spool failing); the bus redelivers it.
        case abandon
    }

    public let configuration: ArchiverConfiguration
    public private(set) var health: Health = .up
    public private(set) var batch: Batch = .none

    public init(configuration: ArchiverConfiguration) {
        self.configuration = configuration
    }

    /// Whether a probe (a write attempt or a spool replay) may go to the database at `now`.
    public func databaseDue(at now: Date) -> Bool {
        switch health {
        case .up: true
        case .down(_, let nextProbe): now >= nextProbe
        }
    }

    // MARK: Batches

    /// A batch was read from the bus.
    public mutating func batchRead(at now: Date, shuttingDown: Bool) -> Action {
        switch health {
        case .up:
            batch = .writing(made: 0, allowed: shuttingDown ? 1 : max(1, configuration.attemptsBeforeSpooling))
            return .write(after: .zero)
        case .down:
            guard databaseDue(at: now) else {
                batch = .spooling(failures: 0)
                return .spool
            }
            batch = .writing(made: 0, allowed: 1)
            return .write(after: .zero)
        }
    }

    /// The batch is in the database.
    public mutating func written() -> Action {
        health = .up
        batch = .none
        return .acknowledge(spooled: false)
    }

    /// The database did not take the batch (unavailable: a retry may succeed).
    public mutating func writeFailed(at now: Date, shuttingDown: Bool) -> Action {
        switch batch {
        case .writing(let made, let allowed):
            let made = made + 1
            if made < allowed, !shuttingDown {
                batch = .writing(made: made, allowed: allowed)
                return .write(after: configuration.backoff(after: made - 1))
            }
            markDown(at: now)
            batch = .spooling(failures: 0)
            return .spool
        case .retryingAfterSpoolFailure(let failures):
            batch = .spooling(failures: failures)
            return .spool
        case .none, .spooling:
            preconditionFailure("writeFailed without a write in flight (\(batch))")
        }
    }

    /// The batch is in the spool.
    public mutating func spooled() -> Action {
        batch = .none
        return .acknowledge(spooled: true)
    }

    /// The spool write failed.
    public mutating func spoolFailed(shuttingDown: Bool) -> Action {
        guard case .spooling(let failures) = batch else { preconditionFailure("spoolFailed without a spool write (\(batch))") }
        if shuttingDown {
            batch = .none
            return .abandon
        }
        batch = .retryingAfterSpoolFailure(failures: failures + 1)
        return .write(after: configuration.backoff(after: failures))
    }

    // MARK: Database health outside batches

    /// Preparing the schema failed, or a spool replay could not write: the database is down.
    public mutating func databaseFailed(at now: Date) {
        markDown(at: now)
    }

    /// A spool replay finished: the database took everything.
    public mutating func databaseAnswered() {
        health = .up
    }

    private mutating func markDown(at now: Date) {
        let failed: Int
        if case .down(let count, _) = health { failed = count } else { failed = 0 }
        health = .down(failedProbes: failed + 1, nextProbe: now.addingTimeInterval(configuration.backoff(after: failed).timeInterval))
    }
}
