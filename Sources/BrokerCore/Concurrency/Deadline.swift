import Synchronization

/// Thrown by `withDeadline` when the operation did not finish in time.
public struct DeadlineExceeded: Error, Sendable, CustomStringConvertible {
    /// The bound that passed.
    public let duration: Duration
    /// What was waited for (for messages and logs).
    public let operation: String

    public init(duration: Duration, operation: String) {
        self.duration = duration
        self.operation = operation
    }

    public var description: String { "\(operation) did not finish within \(duration)" }
}

/// Runs `operation` and returns its result, or throws `DeadlineExceeded` once `duration` has passed on
/// `clock` — whichever comes first — and `CancellationError` at once when the caller is cancelled.
///
/// The caller is resumed even when the operation never completes (a reply that can no longer arrive, a
/// library await that ignores cancellation): the operation runs in its own task, which is cancelled and then
/// abandoned. `onTimeout` runs before the error is thrown; use it to close the connection the operation was
/// using, so that nothing reuses it. A task group could not give this guarantee: it waits for every child.
///
/// `abort`, when given, is called once the race has started with a function that ends it early with an error
/// (e.g. when the connection the operation uses closes): the caller gets that error at once and the
/// operation is abandoned as on a timeout.
public func withDeadline<T: Sendable, C: Clock>(
    _ duration: Duration, clock: C, operation name: String,
    onTimeout: @escaping @Sendable () -> Void = {},
    abort: (@Sendable (@escaping @Sendable (any Error) -> Void) -> Void)? = nil,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T where C.Duration == Duration {
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            guard race.start(continuation) else { return }
            let work = Task {
                let result: Result<T, any Error>
                do { result = .success(try await operation()) } catch { result = .failure(error) }
                race.finish(result)
            }
            let timer = Task {
                do { try await clock.sleep(for: duration) } catch { return }
                if race.finish(.failure(DeadlineExceeded(duration: duration, operation: name))) {
                    onTimeout()
                    work.cancel()
                }
            }
            race.attach(work: work, timer: timer)
            abort? { error in
                if race.finish(.failure(error)) { work.cancel() }
            }
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// `withDeadline` on the continuous clock.
public func withDeadline<T: Sendable>(
    _ duration: Duration, operation name: String, onTimeout: @escaping @Sendable () -> Void = {},
    abort: (@Sendable (@escaping @Sendable (any Error) -> Void) -> Void)? = nil,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withDeadline(duration, clock: ContinuousClock(), operation: name, onTimeout: onTimeout, abort: abort, operation)
}

/// The once-only meeting point of `withDeadline`'s operation, timer and cancellation.
private final class DeadlineRace<T: Sendable>: Sendable {
    private enum State {
        /// Not started; a cancellation that arrives first is kept here.
        case idle(cancelled: Bool)
        /// Waiting for the first of the operation, the timer or a cancellation.
        case waiting(CheckedContinuation<T, any Error>, work: Task<Void, Never>?, timer: Task<Void, Never>?)
        /// The caller was resumed; the tasks to cancel when they were attached late.
        case finished
    }

    private let state = Mutex(State.idle(cancelled: false))

    /// Registers the caller; false (and the caller already resumed) when it was cancelled before.
    func start(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
        let cancelled = state.withLock { state -> Bool in
            if case .idle(true) = state {
                state = .finished
                return true
            }
            state = .waiting(continuation, work: nil, timer: nil)
            return false
        }
        if cancelled { continuation.resume(throwing: CancellationError()) }
        return !cancelled
    }

    func attach(work: Task<Void, Never>, timer: Task<Void, Never>) {
        let finished = state.withLock { state -> Bool in
            guard case .waiting(let continuation, nil, nil) = state else { return true }
            state = .waiting(continuation, work: work, timer: timer)
            return false
        }
        if finished {
            // Resumed before the tasks were known (the operation finished, or the caller was cancelled): a
            // finished task ignores the cancel.
            timer.cancel()
            work.cancel()
        }
    }

    /// Resumes the caller with `result` unless it was resumed already; true when this call did it.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let action = state.withLock { state -> (CheckedContinuation<T, any Error>, Task<Void, Never>?, Task<Void, Never>?)? in
            switch state {
            case .idle:
                state = .idle(cancelled: true)
                return nil
            case .waiting(let continuation, let work, let timer):
                state = .finished
                return (continuation, work, timer)
            case .finished:
                return nil
            }
        }
        guard let (continuation, work, timer) = action else { return false }
        timer?.cancel()
        if case .failure(let error) = result, error is CancellationError { work?.cancel() }
        continuation.resume(with: result)
        return true
    }
}
