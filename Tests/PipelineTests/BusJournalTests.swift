import BrokerHubTesting
import BrokerCore
import Foundation
import Realtime
import Testing

/// What only the embedded journal promises: several processes (here: instances) on one file, and groups
/// that join late.
@Suite("JournalEventBus", .timeLimit(.minutes(10)))
struct BusJournalTests {
    @Test("two publishers and a reader on the same file, at once: every event exactly once")
    func sharedFile() async throws {
        let harness = try BusHarness(.journal)
        let collectorA = try harness.open(), collectorB = try harness.open(), archiver = try harness.open()
        let total = 2 * 2_000
        let received = Locked<[String]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, bus) in [collectorA, collectorB].enumerated() {
                group.addTask {
                    let events = BusEventSamples.mixed(count: 2_000, run: "proc\(index)")
                    for start in stride(from: 0, to: events.count, by: 50) {
                        try await bus.publish(Array(events[start..<(start + 50)]))
                    }
                }
            }
            group.addTask {
                let deadline = ContinuousClock.now + .seconds(60)
                while received.withLock({ $0.count }) < total, ContinuousClock.now < deadline {
                    let batch = try await archiver.read(group: "archiver", consumer: "a", maximum: 300, wait: .milliseconds(200))
                    try await archiver.acknowledge(batch, group: "archiver")
                    received.withLock { $0 += batch.map(\.event.id) }
                }
            }
            try await group.waitForAll()
        }
        let ids = received.withLock { $0 }
        #expect(ids.count == total)
        #expect(Set(ids).count == total)
        #expect(try await archiver.publishedCounts().values.reduce(0, +) == Int64(total))
        await harness.tearDown()
    }

    @Test("a group that joins late starts at the oldest retained event")
    func lateGroup() async throws {
        let harness = try BusHarness(.journal)
        let bus = try harness.open()
        try await bus.publish(BusEventSamples.mixed(count: 30))
        #expect(try await bus.drain(group: "early", consumer: "a").count == 30)
        #expect(try await bus.drain(group: "late", consumer: "a").count == 30)
        await harness.tearDown()
    }

    @Test("a position that is not the journal's is refused")
    func foreignPosition() async throws {
        let harness = try BusHarness(.journal)
        let bus = try harness.open()
        let delivery = BusDelivery(position: "ticker/1-0", event: BusEventSamples.tick())
        let error = await #expect(throws: BrokerHubError.self) { try await bus.acknowledge([delivery], group: "g") }
        #expect(error?.code == .invalidArgument)
        await harness.tearDown()
    }
}
