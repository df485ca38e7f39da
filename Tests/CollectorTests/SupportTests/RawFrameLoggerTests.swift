import BrokerCore
import BrokerHubTesting
import Foundation
import HubEngine
import Realtime
import Synchronization
import Testing
@testable import Collector

@Suite("RawFrameLogger", .timeLimit(.minutes(5)), .serialized)
struct RawFrameLoggerTests {
    /// 2026-11-20 10:15:00 KST.
    let t0 = KST.instant(KSTDate(year: 2026, month: 11, day: 20)!, hour: 10, minute: 15, second: 0)

    func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-rawlog-\(UUID().uuidString)", isDirectory: true)
    }

    func lines(_ url: URL) -> [String] {
        ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Waits (generously) for a condition the writer loop makes true.
    func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<1000 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(condition())
    }

    @Test func writesEscapedLinesIntoHourlyProviderFiles() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let logger = RawFrameLogger(configuration: .init(directory: directory), clock: ManualClock(start: t0), diskUsage: { _ in 0.1 })
        let run = Task { try await logger.run() }
        logger.record(provider: .kis, session: "kis-1", frame: "0|H0STCNT0|001|005930^a\\b", receivedAt: t0, note: nil)
        logger.record(provider: .kis, session: "kis-1", frame: "line1\nline2\tend", receivedAt: t0.addingTimeInterval(3600), note: "pingpong")
        logger.record(provider: .kiwoom, session: "kw-1", frame: #"{"trnm":"REAL"}"#, receivedAt: t0, note: "real")
        logger.finish()
        try await run.value

        let kis = lines(directory.appendingPathComponent("kis/2026112010.log"))
        #expect(kis == ["2026-11-20T10:15:00+09:00\tkis-1\t-\t0|H0STCNT0|001|005930^a\\\\b"])
        let kisNext = lines(directory.appendingPathComponent("kis/2026112011.log"))
        #expect(kisNext == ["2026-11-20T11:15:00+09:00\tkis-1\tpingpong\tline1\\nline2\\tend"])
        let kiwoom = lines(directory.appendingPathComponent("kiwoom/2026112010.log"))
        #expect(kiwoom == ["2026-11-20T10:15:00+09:00\tkw-1\treal\t" + #"{"trnm":"REAL"}"#])
        #expect(logger.writtenFrames == 3)
    }

    @Test func aFullQueueDropsTheNewestFramesAndCountsThem() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let logger = RawFrameLogger(configuration: .init(directory: directory, capacity: 3), clock: ManualClock(start: t0), diskUsage: { _ in 0.1 })
        // The writer is not running yet, so the queue fills up.
        for index in 0..<5 {
            logger.record(provider: .kis, session: "s", frame: "frame-\(index)", receivedAt: t0, note: nil)
        }
        #expect(logger.droppedFrames == 2)
        let run = Task { try await logger.run() }
        logger.finish()
        try await run.value
        let written = lines(directory.appendingPathComponent("kis/2026112010.log")).map { $0.split(separator: "\t").last.map(String.init) }
        #expect(written == ["frame-0", "frame-1", "frame-2"])
        // After finishing, frames are refused and counted too.
        logger.record(provider: .kis, session: "s", frame: "late", receivedAt: t0, note: nil)
        #expect(logger.droppedFrames == 3)
    }

    @Test func retentionDeletesOnlyFilesOlderThanTheRetention() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let kis = directory.appendingPathComponent("kis", isDirectory: true)
        let kiwoom = directory.appendingPathComponent("kiwoom", isDirectory: true)
        try FileManager.default.createDirectory(at: kis, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: kiwoom, withIntermediateDirectories: true)
        // Now is 2026-11-20 10:15 KST; the cutoff is 2026-11-18 10:15 KST.
        let names: [(URL, String)] = [
            (kis, "2026111809.log"),  // ended 10:00 on the 18th: older than 48 h
            (kis, "2026111810.log"),  // ends 11:00 on the 18th: still inside
            (kis, "2026112010.log"),
            (kis, "notes.txt"),
            (kiwoom, "2026110100.log"),
            (kiwoom, "2026111912.log"),
        ]
        for (folder, name) in names {
            _ = FileManager.default.createFile(atPath: folder.appendingPathComponent(name).path, contents: Data("x\n".utf8))
        }
        let logger = RawFrameLogger(configuration: .init(directory: directory), clock: ManualClock(start: t0), diskUsage: { _ in 0.1 })
        let deleted = logger.sweep().map(\.lastPathComponent).sorted()
        #expect(deleted == ["2026110100.log", "2026111809.log"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: kis.path).sorted() == ["2026111810.log", "2026112010.log", "notes.txt"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: kiwoom.path) == ["2026111912.log"])
    }

    @Test func theSweeperRunsOnTheInjectedClock() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let folder = directory.appendingPathComponent("kis", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("2026111811.log")  // expires at 2026-11-20 12:00 KST
        _ = FileManager.default.createFile(atPath: file.path, contents: Data("x\n".utf8))
        let clock = ManualClock(start: t0)
        let logger = RawFrameLogger(configuration: .init(directory: directory, sweepInterval: .seconds(600)), clock: clock, diskUsage: { _ in 0.1 })
        let run = Task { try await logger.run() }
        try await eventually { clock.sleeperCount == 1 }
        #expect(FileManager.default.fileExists(atPath: file.path))
        for _ in 0..<11 {
            clock.advance(by: .seconds(600))
            try await eventually { clock.sleeperCount == 1 }
        }
        try await eventually { !FileManager.default.fileExists(atPath: file.path) }
        logger.finish()
        try await run.value
    }

    @Test func theDiskGuardStopsWritingAlertsOnceAndResumes() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let usage = Mutex(0.95)
        let alerts = Mutex<[RealtimeAlert]>([])
        let logger = RawFrameLogger(
            configuration: .init(directory: directory, diskUsageThreshold: 0.9),
            clock: ManualClock(start: t0),
            diskUsage: { _ in usage.withLock { $0 } },
            onAlert: { alert in alerts.withLock { $0.append(alert) } }
        )
        let run = Task { try await logger.run() }
        for index in 0..<3 {
            logger.record(provider: .kis, session: "s", frame: "full-\(index)", receivedAt: t0, note: nil)
            try await eventually { logger.suppressedFrames == index + 1 }
        }
        #expect(logger.isPaused)
        #expect(logger.writtenFrames == 0)
        #expect(alerts.withLock { $0.map(\.kind) } == ["rawlog.disk_full"])

        usage.withLock { $0 = 0.5 }
        logger.record(provider: .kis, session: "s", frame: "ok", receivedAt: t0, note: nil)
        try await eventually { logger.writtenFrames == 1 }
        #expect(!logger.isPaused)

        // A second episode alerts again.
        usage.withLock { $0 = 0.92 }
        logger.record(provider: .kis, session: "s", frame: "full-again", receivedAt: t0, note: nil)
        try await eventually { logger.suppressedFrames == 4 }
        #expect(alerts.withLock { $0.count } == 2)
        logger.finish()
        try await run.value
        let written = lines(directory.appendingPathComponent("kis/2026112010.log")).map { $0.split(separator: "\t").last.map(String.init) }
        #expect(written == ["ok"])
    }

    @Test func shutdownFlushesEveryQueuedFrame() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let logger = RawFrameLogger(configuration: .init(directory: directory), clock: ManualClock(start: t0), diskUsage: { _ in 0.1 })
        let run = Task { try await logger.run() }
        for index in 0..<5000 {
            logger.record(provider: index % 2 == 0 ? .kis : .kiwoom, session: "s", frame: "f\(index)", receivedAt: t0, note: nil)
        }
        logger.finish()
        try await run.value
        #expect(lines(directory.appendingPathComponent("kis/2026112010.log")).count == 2500)
        #expect(lines(directory.appendingPathComponent("kiwoom/2026112010.log")).count == 2500)
        #expect(logger.droppedFrames == 0)
    }

    @Test func cancellationAlsoDrainsTheQueue() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let logger = RawFrameLogger(configuration: .init(directory: directory), clock: ManualClock(start: t0), diskUsage: { _ in 0.1 })
        for index in 0..<10 { logger.record(provider: .kis, session: "s", frame: "f\(index)", receivedAt: t0, note: nil) }
        let run = Task { try await logger.run() }
        run.cancel()
        try await run.value
        #expect(lines(directory.appendingPathComponent("kis/2026112010.log")).count == 10)
    }

    @Test func statvfsReportsAFraction() throws {
        let usage = try #require(RawFrameLogger.fileSystemUsage(atPath: FileManager.default.temporaryDirectory.path))
        #expect(usage >= 0 && usage <= 1)
        #expect(RawFrameLogger.fileSystemUsage(atPath: "/nonexistent/brokerhub/\(UUID().uuidString)") == nil)
    }
}
