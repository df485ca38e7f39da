import BrokerHubTesting
import Archiver
import Foundation
import Realtime
import Testing

@Suite("Archive spool", .timeLimit(.minutes(10)))
struct SpoolTests {
    @Test func appendsReadsAndRemovesSegmentsOldestFirst() async throws {
        let directory = try PipelineTestEnvironment.temporaryDirectory("spool")
        defer { try? FileManager.default.removeItem(at: directory) }
        let spool = try ArchiveSpool(directory: directory)
        #expect(await spool.isEmpty)
        let events = BusEventSamples.mixed(count: 50, run: "s")
        try await spool.append(Array(events[..<20]))
        try await spool.append(Array(events[20..<30]))
        await spool.seal()
        try await spool.append(Array(events[30...]))
        let segments = await spool.segments()
        #expect(segments.count == 2)
        #expect(try await spool.events(in: segments[0]) == Array(events[..<30]))
        #expect(try await spool.events(in: segments[1]) == Array(events[30...]))
        try await spool.remove(segments[0])
        #expect(await spool.segments() == [segments[1]])
        try await spool.remove(segments[1])
        #expect(await spool.isEmpty)
    }

    @Test func reopenedSpoolKeepsSegmentsAndStartsANewOne() async throws {
        let directory = try PipelineTestEnvironment.temporaryDirectory("spool")
        defer { try? FileManager.default.removeItem(at: directory) }
        let events = BusEventSamples.mixed(count: 10, run: "o")
        do {
            let spool = try ArchiveSpool(directory: directory)
            try await spool.append(Array(events[..<5]))
            await spool.close()
        }
        let reopened = try ArchiveSpool(directory: directory)
        try await reopened.append(Array(events[5...]))
        let segments = await reopened.segments()
        #expect(segments.count == 2)
        #expect(try await spool(reopened, segments) == events)
    }

    @Test func tornTailIsIgnored() async throws {
        let directory = try PipelineTestEnvironment.temporaryDirectory("spool")
        defer { try? FileManager.default.removeItem(at: directory) }
        let spool = try ArchiveSpool(directory: directory)
        let events = BusEventSamples.mixed(count: 5, run: "t")
        try await spool.append(events)
        await spool.close()
        let segment = try #require(await spool.segments().first)
        let handle = try FileHandle(forWritingTo: segment)
        // A crash mid-append: a length prefix and part of a record, then a corrupted full record.
        handle.seekToEndOfFile()
        handle.write(Data([0, 0, 0, 90, 1, 2, 3, 4, 5, 6]))
        try handle.close()
        #expect(try await spool.events(in: segment) == events)
        let corrupt = directory.appendingPathComponent("spool-00000000000000000099.seg")
        var bytes = [UInt8](try Data(contentsOf: segment))
        bytes[20] ^= 0xFF
        try Data(bytes).write(to: corrupt)
        #expect(try await spool.events(in: corrupt).isEmpty)
    }

    private func spool(_ spool: ArchiveSpool, _ segments: [URL]) async throws -> [RealtimeEvent] {
        var all: [RealtimeEvent] = []
        for segment in segments { all += try await spool.events(in: segment) }
        return all
    }
}
