import Foundation
import HubEngine
import Testing

@Suite("WakeSignal: idle workers woken one at a time", .timeLimit(.minutes(5)))
struct WakeSignalTests {
    @Test func aNotificationWithNobodyWaitingWakesTheNextWaiterAtOnce() async {
        let signal = WakeSignal()
        signal.notify()
        await signal.wait() // returns: the notification was kept
        #expect(signal.waiting == 0)
    }

    /// The regression behind idle hubs burning two cores: after one waiter's wait was cancelled, later
    /// waits must still wait rather than return at once.
    @Test func aCancelledWaiterLeavesLaterWaitsWaiting() async throws {
        let signal = WakeSignal()
        let first = Task { await signal.wait() }
        try await eventually { signal.waiting == 1 }
        first.cancel()
        await first.value
        #expect(signal.waiting == 0)

        let second = Task { await signal.wait() }
        try await eventually { signal.waiting == 1 }
        try await Task.sleep(for: .milliseconds(50))
        #expect(signal.waiting == 1, "the second waiter still waits")
        signal.notify()
        await second.value
        #expect(signal.waiting == 0)
    }

    @Test func eachNotificationWakesOneWaiter() async throws {
        let signal = WakeSignal()
        let woken = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<3 { group.addTask { await signal.wait() } }
                await group.waitForAll()
            }
        }
        try await eventually { signal.waiting == 3 }
        signal.notify()
        try await eventually { signal.waiting == 2 }
        signal.notify()
        signal.notify()
        await woken.value
        #expect(signal.waiting == 0)
    }

    @Test func cancellingAWaiterResumesIt() async throws {
        let signal = WakeSignal()
        let waiter = Task { await signal.wait() }
        try await eventually { signal.waiting == 1 }
        waiter.cancel()
        await waiter.value
        #expect(signal.waiting == 0)
    }
}
