import BrokerCore
import Synchronization

/// Group commit: concurrent `submit` calls are gathered into batches, and each batch is committed by one
/// transaction (one fsync). There is no background task: the first submitter that finds no commit under way
/// becomes the leader; it lingers up to `window` for more submissions (unless `maxBatch` rows are already
/// waiting), commits batches until its own rows are committed, then hands leadership to the oldest waiting
/// submitter. Every `submit` returns after the commit that contains its rows.
final class JournalGroupCommit<Row: Sendable>: Sendable {
    typealias Commit = @Sendable ([Row]) async throws -> Void

    private enum Outcome: @unchecked Sendable {
        case committed
        case failed(any Error)
        case lead
    }

    private struct Entry {
        var ticket: UInt64
        var rows: [Row]
    }

    private struct State {
        var pending: [Entry] = []
        var pendingRows = 0
        var leaderActive = false
        var next: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Outcome, Never>] = [:]
        var outcomes: [UInt64: Outcome] = [:]
    }

    private let state = Mutex(State())
    private let window: Duration
    private let maxBatch: Int
    private let commit: Commit
    private let clock: any HubClock

    init(window: Duration, maxBatch: Int, clock: any HubClock, commit: @escaping Commit) {
        self.window = window
        self.clock = clock
        self.maxBatch = max(1, maxBatch)
        self.commit = commit
    }

    /// Appends `rows` to the next batch and returns once that batch is committed (or throws its error).
    /// Not cancellable: a cancelled caller still waits for the commit its rows are part of.
    func submit(_ rows: [Row]) async throws {
        guard !rows.isEmpty else { return }
        let (ticket, leading) = state.withLock { state -> (UInt64, Bool) in
            state.next += 1
            state.pending.append(Entry(ticket: state.next, rows: rows))
            state.pendingRows += rows.count
            if state.leaderActive { return (state.next, false) }
            state.leaderActive = true
            return (state.next, true)
        }
        var outcome = leading ? await lead(until: ticket) : await wait(ticket)
        if case .lead = outcome { outcome = await lead(until: ticket) }
        switch outcome {
        case .committed, .lead: return
        case .failed(let error): throw error
        }
    }

    private func wait(_ ticket: UInt64) async -> Outcome {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Outcome? in
                if let outcome = state.outcomes.removeValue(forKey: ticket) { return outcome }
                state.waiters[ticket] = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func resolve(_ tickets: [UInt64], _ outcome: Outcome) {
        let waiters = state.withLock { state -> [CheckedContinuation<Outcome, Never>] in
            var waiters: [CheckedContinuation<Outcome, Never>] = []
            for ticket in tickets {
                if let waiter = state.waiters.removeValue(forKey: ticket) {
                    waiters.append(waiter)
                } else {
                    state.outcomes[ticket] = outcome
                }
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: outcome) }
    }

    /// Commits batches until the batch holding `own` is done; returns its outcome.
    private func lead(until own: UInt64) async -> Outcome {
        while true {
            if window > .zero, state.withLock({ $0.pendingRows }) < maxBatch {
                try? await clock.sleep(for: window)
            }
            let batch = state.withLock { state -> [Entry] in
                var taken = 0
                var count = 0
                while taken < state.pending.count, count == 0 || count + state.pending[taken].rows.count <= maxBatch {
                    count += state.pending[taken].rows.count
                    taken += 1
                }
                state.pendingRows -= count
                defer { state.pending.removeFirst(taken) }
                return Array(state.pending.prefix(taken))
            }
            let outcome: Outcome
            do {
                try await commit(batch.flatMap(\.rows))
                outcome = .committed
            } catch {
                outcome = .failed(error)
            }
            let others = batch.map(\.ticket).filter { $0 != own }
            resolve(others, outcome)
            guard batch.contains(where: { $0.ticket == own }) else { continue }
            let successor = state.withLock { state -> UInt64? in
                guard let first = state.pending.first else {
                    state.leaderActive = false
                    return nil
                }
                return first.ticket
            }
            if let successor { resolve([successor], .lead) }
            return outcome
        }
    }
}
