import BrokerCore
import BrokerHubTesting
import Foundation
@testable import HubEngine
import Testing

/// Issue #19: a waiter for a task's completion is resumed exactly once by whichever comes first — the
/// finish, the timeout, a cancellation — in any order, even when that comes before the waiter parked.
@Suite("CompletionCenter", .timeLimit(.minutes(1)))
struct CompletionCenterTests {
    @Test func finishWakesTheWaiter() async throws {
        let center = CompletionCenter(clock: ManualClock())
        let waiter = Task { await center.wait(for: "t1", timeout: .seconds(3600)) }
        try await eventually { center.waiting == 1 }
        center.finish("t1")
        await waiter.value
        #expect(center.waiting == 0)
    }

    @Test func theTimeoutWakesTheWaiterOnTheInjectedClock() async throws {
        let clock = ManualClock()
        let center = CompletionCenter(clock: clock)
        let waiter = Task { await center.wait(for: "t1", timeout: .seconds(5)) }
        try await eventually { clock.sleeperCount == 1 }
        clock.advance(by: .seconds(5))
        await waiter.value
        #expect(center.waiting == 0)
    }

    /// The old center parked the waiter in one child task and timed out in another: a zero timeout (or a
    /// cancellation) that ran first left the waiter parked for ever. Thousands of rounds hit every order.
    @Test func aTimeoutOrCancellationBeforeTheWaiterParksNeverStrandsIt() async throws {
        let center = CompletionCenter()
        for round in 0..<2_000 {
            if round % 2 == 0 {
                await center.wait(for: "t\(round)", timeout: .zero)
            } else {
                let waiter = Task { await center.wait(for: "t\(round)", timeout: .seconds(3600)) }
                waiter.cancel()
                await waiter.value
            }
        }
        #expect(center.waiting == 0)
    }

    @Test func aFinishRacingTheTimeoutResumesOnce() async throws {
        let center = CompletionCenter()
        for round in 0..<500 {
            let waiter = Task { await center.wait(for: "t", timeout: .microseconds(Int64(round % 50))) }
            center.finish("t")
            await waiter.value
        }
        #expect(center.waiting == 0)
    }
}
