import Foundation
import Realtime

/// The events a database refused for their content (`<spool>/dead-letter`, written by the archiver): listed,
/// and replayed into a sink once the cause is fixed. What the sink stores leaves the spool; what it refuses
/// again stays; a sink that is unavailable stops the replay with nothing lost. Run `replay` while the archiver
/// is stopped (it appends to the same directory).
public struct DeadLetters: Sendable {
    /// One kept event and the segment file holding it.
    public struct Entry: Sendable {
        public var segment: String
        public var event: RealtimeEvent
    }

    /// What a replay did.
    public struct ReplayReport: Sendable, Equatable {
        /// Events the sink stored now.
        public var written = 0
        /// Events the sink already had (skipped by their id).
        public var alreadyStored = 0
        /// Events refused again, by id, with the database's reason: still in the spool.
        public var refused: [String: String] = [:]
        /// Segments emptied and removed.
        public var segmentsRemoved = 0
    }

    public let spool: ArchiveSpool

    /// The dead letters of the archiver whose `--spool` is `spoolDirectory`.
    public init(spoolDirectory: URL) throws {
        spool = try ArchiveSpool(directory: spoolDirectory.appendingPathComponent("dead-letter"))
    }

    /// Every kept event, oldest segment first.
    public func list() async throws -> [Entry] {
        var entries: [Entry] = []
        for segment in await spool.segments() {
            entries += try await spool.events(in: segment).map { Entry(segment: segment.lastPathComponent, event: $0) }
        }
        return entries
    }

    /// Writes every kept event to `sink`, one at a time so that one refusal holds back no other.
    public func replay(into sink: any ArchiveSink) async throws -> ReplayReport {
        var report = ReplayReport()
        await spool.seal()
        for segment in await spool.segments() {
            var kept: [RealtimeEvent] = []
            for event in try await spool.events(in: segment) {
                do {
                    let summary = try await sink.write([event])
                    if summary.total > 0 { report.written += 1 } else { report.alreadyStored += 1 }
                } catch where sink.rejects(error) {
                    report.refused[event.id] = "\(error)"
                    kept.append(event)
                }
            }
            // The refused ones go to a new segment before the old one goes: a crash in between keeps them twice
            // (harmless: rows are idempotent), never loses them.
            if !kept.isEmpty {
                try await spool.append(kept)
                await spool.seal()
            }
            try await spool.remove(segment)
            report.segmentsRemoved += kept.isEmpty ? 1 : 0
        }
        return report
    }
}
