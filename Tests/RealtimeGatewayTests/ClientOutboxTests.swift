@testable import RealtimeGateway
import Testing

@Suite("Client outbox")
struct ClientOutboxTests {
    @Test func framesComeOutInOrderAndAWaitingWriterIsWoken() async {
        let outbox = ClientOutbox(capacity: 8, maxDrops: 100)
        async let batch = outbox.next()
        try? await Task.sleep(for: .milliseconds(20))
        #expect(outbox.push("a") == .queued)
        let first = await batch
        #expect(first?.frames == ["a"] && first?.dropped == 0)
        for frame in ["b", "c"] { _ = outbox.push(frame) }
        #expect(await outbox.next()?.frames == ["b", "c"])
    }

    @Test func aFullOutboxDropsItsOldestAndSaysHowMany() async {
        let outbox = ClientOutbox(capacity: 3, maxDrops: 100)
        var results: [ClientOutbox.Push] = []
        for index in 0..<5 { results.append(outbox.push("\(index)")) }
        #expect(results == [.queued, .queued, .queued, .droppedOldest, .droppedOldest])
        let batch = await outbox.next()
        #expect(batch?.frames == ["2", "3", "4"] && batch?.dropped == 2)
        #expect(outbox.dropped == 2)
        // Replies are never dropped and do not count against the capacity, even while the outbox overflows; they go
        // ahead of the frames queued beside them.
        for index in 0..<3 { _ = outbox.push("d\(index)") }
        outbox.reply("ack")
        for index in 3..<7 { #expect(outbox.push("d\(index)") == .droppedOldest) }
        let overflowing = await outbox.next()
        #expect(overflowing?.frames == ["ack", "d4", "d5", "d6"] && overflowing?.dropped == 4)
    }

    @Test func tooManyDropsCloseTheOutboxAndDiscardWhatWasQueued() async {
        let outbox = ClientOutbox(capacity: 2, maxDrops: 3)
        var last = ClientOutbox.Push.queued
        for index in 0..<7 { last = outbox.push("\(index)") }
        #expect(last == .closed)
        #expect(outbox.closedFor?.hasPrefix("slow client") == true)
        #expect(await outbox.next() == nil)
    }

    @Test func closingEndsAWaitingWriterAfterWhatIsQueued() async {
        let outbox = ClientOutbox(capacity: 4, maxDrops: 0)
        outbox.reply("bye")
        outbox.close(reason: "done")
        #expect(await outbox.next()?.frames == ["bye"])
        #expect(await outbox.next() == nil)
        #expect(outbox.push("late") == .closed)
    }
}

extension ClientOutbox.Batch: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.frames == rhs.frames && lhs.dropped == rhs.dropped }
}
