import BrokerCore
import BrokerWire
import CZlib
import Foundation
import Snapshots
import Testing

/// Issue #14 item 4: the rolling JSONL archive on a real file system — rolls by size and by date, the manifest,
/// gzip after the roll, retention, and recovery from a writer killed mid-line.
@Suite("JSONL archive")
struct JSONLArchiveTests {
    let monday = KSTDate(year: 2025, month: 9, day: 8)!

    func entries(_ count: Int, from start: Date, step: TimeInterval = 1) -> [JSONLArchive.Entry] {
        (0..<count).map { index in
            let time = start.addingTimeInterval(Double(index) * step)
            return JSONLArchive.Entry(line: #"{"n":\#(index),"pad":"\#(String(repeating: "x", count: 80))","received_at":"\#(KST.iso8601(time))"}"#, time: time)
        }
    }

    /// Every line of every file in `directory` for `prefix` (gzip read with zlib), each checked to be JSON.
    func readAll(_ directory: String, prefix: String = "snapshots") throws -> [String] {
        var lines: [String] = []
        let days = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        for day in days {
            let files = try FileManager.default.contentsOfDirectory(atPath: directory + "/" + day).filter { $0.hasPrefix(prefix + "-") }.sorted()
            for file in files {
                let path = directory + "/" + day + "/" + file
                let text: String
                if file.hasSuffix(".gz") {
                    let stream = try #require(gzopen(path, "rb"))
                    var bytes: [UInt8] = []
                    var chunk = [UInt8](repeating: 0, count: 65_536)
                    while true {
                        let read = chunk.withUnsafeMutableBytes { gzread(stream, $0.baseAddress, UInt32($0.count)) }
                        if read <= 0 { break }
                        bytes += chunk[0..<Int(read)]
                    }
                    gzclose(stream)
                    text = String(decoding: bytes, as: UTF8.self)
                } else {
                    text = try String(contentsOfFile: path, encoding: .utf8)
                }
                #expect(text.isEmpty || text.hasSuffix("\n"), "\(file) ends with a whole line")
                for line in text.split(separator: "\n") {
                    #expect((try? JSONParser.parse(String(line))) != nil, "\(file): a torn line \(line.prefix(60))")
                    lines.append(String(line))
                }
            }
        }
        return lines
    }

    @Test func filesRollBeforeTheyPassTheSizeAndTheManifestCountsEveryLine() async throws {
        let directory = SnapshotFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let archive = JSONLArchive(configuration: JSONLArchiveConfiguration(directory: directory, maxFileBytes: 4_096))
        _ = try await archive.recover(today: monday)
        let written = entries(100, from: KST.instant(monday, hour: 10, minute: 0, second: 0))
        for batch in stride(from: 0, to: 100, by: 7) { try await archive.append(Array(written[batch..<min(batch + 7, 100)])) }
        try await archive.close()
        let day = directory + "/2025-09-08"
        let files = try FileManager.default.contentsOfDirectory(atPath: day).filter { $0.hasSuffix(".jsonl") }.sorted()
        #expect(files.count >= 3, "\(files)")
        #expect(files.allSatisfy { (try? FileManager.default.attributesOfItem(atPath: day + "/" + $0)[.size] as? Int).map { $0 <= 4_096 } ?? false })
        #expect(try FileManager.default.contentsOfDirectory(atPath: day).allSatisfy { !$0.hasSuffix(".open") }, "closed: nothing left open")
        #expect(try readAll(directory) == written.map(\.line))
        let manifest = try #require(try await archive.manifest(on: monday))
        #expect(manifest.lines == 100 && manifest.files.count == files.count)
        #expect(manifest.firstTime == written.first?.time && manifest.lastTime == written.last?.time)
        let onDisk = try ArchiveManifest.parse(Array(try Data(contentsOf: URL(fileURLWithPath: day + "/snapshots.manifest.json"))))
        #expect(onDisk == manifest)
    }

    @Test func aNewTradingDateStartsANewFileInItsOwnFolder() async throws {
        let directory = SnapshotFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let archive = JSONLArchive(configuration: JSONLArchiveConfiguration(directory: directory))
        _ = try await archive.recover(today: monday)
        let first = entries(5, from: KST.instant(monday, hour: 15, minute: 0, second: 0))
        let second = entries(3, from: KST.instant(monday.adding(days: 1), hour: 9, minute: 0, second: 0))
        try await archive.append(first + second)
        #expect(try await archive.manifest(on: monday)?.lines == 5, "the first day is rolled when the second begins")
        try await archive.close()
        #expect(try await archive.manifest(on: monday.adding(days: 1))?.lines == 3)
        #expect(FileManager.default.fileExists(atPath: directory + "/2025-09-09/snapshots-20250909-0001.jsonl"))
    }

    @Test func rolledFilesAreGzippedWhenAsked() async throws {
        let directory = SnapshotFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let archive = JSONLArchive(configuration: JSONLArchiveConfiguration(directory: directory, maxFileBytes: 8_192, compressAfterRoll: true))
        _ = try await archive.recover(today: monday)
        let written = entries(200, from: KST.instant(monday, hour: 10, minute: 0, second: 0))
        try await archive.append(written)
        try await archive.close()
        let names = try FileManager.default.contentsOfDirectory(atPath: directory + "/2025-09-08")
        #expect(names.filter { $0.hasSuffix(".jsonl") }.isEmpty && names.filter { $0.hasSuffix(".jsonl.gz") }.count >= 2, "\(names)")
        #expect(try readAll(directory) == written.map(\.line))
        let manifest = try #require(try await archive.manifest(on: monday))
        #expect(manifest.files.allSatisfy { $0.compressed && $0.storedBytes < $0.bytes } && manifest.lines == 200)
        #expect(await archive.statistics.filesCompressed == manifest.files.count)
    }

    @Test func aWriterKilledMidLineLeavesNoTornLineAfterRecovery() async throws {
        let directory = SnapshotFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let start = KST.instant(monday, hour: 10, minute: 0, second: 0)
        let killed = JSONLArchive(configuration: JSONLArchiveConfiguration(directory: directory))
        _ = try await killed.recover(today: monday)
        try await killed.append(entries(10, from: start))
        // What a kill -9 in the middle of a write leaves: half a line after the last newline. No close().
        let open = try #require(await killed.activeFile)
        let handle = try #require(FileHandle(forWritingAtPath: open))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"n":10,"pad":"xxxx"#.utf8))
        try handle.close()

        let restarted = JSONLArchive(configuration: JSONLArchiveConfiguration(directory: directory))
        let recovery = try await restarted.recover(today: monday)
        #expect(recovery.tornBytes == 19 && recovery.adopted == open, "\(recovery)")
        try await restarted.append(entries(1, from: start.addingTimeInterval(60)))
        try await restarted.close()
        let lines = try readAll(directory)
        #expect(lines.count == 11)
        #expect(try await restarted.manifest(on: monday)?.lines == 11)
    }

    @Test func anEarlierDaysOpenFileIsRolledAndAMissedManifestEntryAdded() async throws {
        let directory = SnapshotFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let killed = JSONLArchive(configuration: JSONLArchiveConfiguration(directory: directory))
        _ = try await killed.recover(today: monday)
        try await killed.append(entries(4, from: KST.instant(monday, hour: 14, minute: 0, second: 0)))
        // A file rolled by hand but never entered in the manifest (killed between the rename and the manifest).
        let stray = directory + "/2025-09-08/snapshots-20250908-0007.jsonl"
        try Data((entries(2, from: KST.instant(monday, hour: 9, minute: 0, second: 0)).map(\.line).joined(separator: "\n") + "\n").utf8)
            .write(to: URL(fileURLWithPath: stray))

        let nextDay = JSONLArchive(configuration: JSONLArchiveConfiguration(directory: directory))
        let recovery = try await nextDay.recover(today: monday.adding(days: 1))
        #expect(recovery.rolled == ["snapshots-20250908-0001.jsonl"] && recovery.adopted == nil)
        let manifest = try #require(try await nextDay.manifest(on: monday))
        #expect(manifest.lines == 6 && manifest.files.map(\.name) == ["snapshots-20250908-0001.jsonl", "snapshots-20250908-0007.jsonl"])
        #expect(manifest.firstTime == KST.instant(monday, hour: 9, minute: 0, second: 0))
    }

    @Test func daysPastTheRetentionAreRemoved() async throws {
        let directory = SnapshotFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let old = JSONLArchive(configuration: JSONLArchiveConfiguration(directory: directory))
        _ = try await old.recover(today: monday)
        for day in 0..<4 { try await old.append(entries(2, from: KST.instant(monday.adding(days: day), hour: 10, minute: 0, second: 0))) }
        try await old.close()
        let kept = JSONLArchive(configuration: JSONLArchiveConfiguration(directory: directory, retentionDays: 2))
        let recovery = try await kept.recover(today: monday.adding(days: 3))
        #expect(recovery.daysRemoved == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["2025-09-10", "2025-09-11"])
    }
}
