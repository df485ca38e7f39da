import BrokerCore
import Foundation
import Synchronization
import Testing

@Suite("withDeadline", .timeLimit(.minutes(1)))
struct DeadlineTests {
    @Test func returnsTheOperationsResult() async throws {
        #expect(try await withDeadline(.seconds(10), operation: "sum") { 40 + 2 } == 42)
    }

    @Test func rethrowsTheOperationsError() async throws {
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await withDeadline(.seconds(10), operation: "boom") { throw Boom() } }
    }

    /// The case it exists for: an operation that never completes and ignores cancellation (a reply that can no
    /// longer arrive). The caller gets `DeadlineExceeded` and `onTimeout` runs.
    @Test func resumesTheCallerWhenTheOperationNeverCompletes() async throws {
        let timedOut = Mutex(false)
        let never = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let started = ContinuousClock.now
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(200), operation: "never", onTimeout: { timedOut.withLock { $0 = true } }) {
                await withCheckedContinuation { continuation in never.withLock { $0 = continuation } }
            }
        }
        #expect(timedOut.withLock { $0 })
        #expect(ContinuousClock.now - started < .seconds(5))
        never.withLock { $0?.resume() }  // let the abandoned task end
    }

    @Test func cancellingTheCallerEndsTheWaitAtOnce() async throws {
        let caller = Task {
            try await withDeadline(.seconds(3600), operation: "sleep") { try await Task.sleep(for: .seconds(3600)) }
        }
        try await Task.sleep(for: .milliseconds(50))
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
    }

    @Test func aCallerCancelledBeforeItStartsIsNotStranded() async throws {
        for _ in 0..<500 {
            let caller = Task { try await withDeadline(.seconds(3600), operation: "x") { try await Task.sleep(for: .seconds(3600)) } }
            caller.cancel()
            _ = try? await caller.value
        }
    }
}
