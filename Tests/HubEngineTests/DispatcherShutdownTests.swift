import BrokerCore
import BrokerHubTesting
import Foundation
import HubEngine
import Testing

/// Issue #18 item 11: a dispatcher cancelled at the drain deadline with a task in hand gives the task back to the
/// queue — not recorded as failed, not held until its lease expires — and its broker wait ends then, not when
/// the broker answers.
@Suite("Dispatcher cancelled at the drain deadline", .timeLimit(.minutes(1)))
struct DispatcherShutdownTests {
    @Test func theTaskInHandIsReleasedForTheNextStart() async throws {
        try await HubMock.run { broker, baseURL in
            let rig = GatewayRig(broker, baseURL)
            #expect(await rig.run(try HubFixtures.kisQuote()).error == nil)  // the token is issued
            try await HubMock.setFaults(baseURL, #"{"latency_ms":10000}"#)
            let queue = InMemoryTaskQueue()
            var configuration = Dispatcher.Configuration()
            configuration.workers = 1
            let dispatcher = Dispatcher(queue: queue, gateway: rig.gateway, configuration: configuration)
            let task = HubFixtures.task(try HubFixtures.kisQuote("000660"), account: rig.kis)
            _ = try await queue.enqueue(task)

            let running = Task { try await dispatcher.run() }
            try await eventually("the task is leased") { try await queue.record(id: task.id)?.state == .leased }
            try await eventually("the request reaches the broker") { try await HubMock.stats(baseURL, .kis).requests("FHKST01010100") == 2 }
            running.cancel()
            _ = await running.result

            let record = try #require(try await queue.record(id: task.id))
            #expect(record.state == .queued, "after shutdown the task is \(record.state), not back in the queue")
            // A wait that ignored cancellation would have ended with the broker's answer, 10 s later, and recorded it.
            #expect(record.outcome == nil && record.leaseOwner == nil)
        }
    }
}
