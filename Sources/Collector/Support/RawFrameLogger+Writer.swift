import BrokerCore
import Foundation
import Logging
import Realtime

extension RawFrameLogger {
    /// The open file of each provider (only the current hour's file stays open).
    struct OpenFiles {
        var handles: [Provider: (hour: String, handle: FileHandle)] = [:]

        mutating func handle(provider: Provider, hour: String, directory: URL) throws -> FileHandle {
            if let open = handles[provider], open.hour == hour { return open.handle }
            if let old = handles.removeValue(forKey: provider) { try? old.handle.close() }
            let folder = directory.appendingPathComponent(provider.rawValue, isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let path = folder.appendingPathComponent("\(hour).log").path
            if !FileManager.default.fileExists(atPath: path) {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
            }
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
            try handle.seekToEnd()
            handles[provider] = (hour, handle)
            return handle
        }

        mutating func closeAll() {
            for (_, open) in handles {
                try? open.handle.synchronize()
                try? open.handle.close()
            }
            handles = [:]
        }
    }

    /// The writer loop: one batch per wake-up, a final drain when the stream ends (finish or cancellation).
    func writeUntilFinished() async {
        var files = OpenFiles()
        var overflowReported = 0
        var nextOverflowLog = Date.distantPast
        for await _ in wakeups {
            writeBatch(into: &files)
            reportOverflow(reported: &overflowReported, next: &nextOverflowLog)
        }
        writeBatch(into: &files)
        reportOverflow(reported: &overflowReported, next: &nextOverflowLog)
        files.closeAll()
    }

    func writeBatch(into files: inout OpenFiles) {
        let batch = state.withLock { state -> [Entry] in
            defer { state.pending.removeAll(keepingCapacity: true) }
            return state.pending
        }
        guard !batch.isEmpty, diskAllowsWriting(batchSize: batch.count) else { return }
        var chunks: [Provider: (hour: String, data: Data)] = [:]
        var written = 0
        func flush(_ provider: Provider) {
            guard let chunk = chunks.removeValue(forKey: provider) else { return }
            do {
                let handle = try files.handle(provider: provider, hour: chunk.hour, directory: configuration.directory)
                try handle.write(contentsOf: chunk.data)
            } catch {
                logger.error("raw frame log write failed", metadata: ["rawlog.provider": "\(provider.rawValue)", "error": "\(error)"])
            }
        }
        for entry in batch {
            let hour = Self.hourKey(entry.receivedAt)
            if let chunk = chunks[entry.provider], chunk.hour != hour { flush(entry.provider) }
            chunks[entry.provider, default: (hour, Data())].data.append(contentsOf: Self.line(for: entry).utf8)
            written += 1
        }
        for provider in Provider.allCases { flush(provider) }
        state.withLock { $0.written += written }
        writtenCounter.increment(by: written)
    }

    /// Applies the disk guard to a batch; false when it must be discarded.
    private func diskAllowsWriting(batchSize: Int) -> Bool {
        let usage = diskUsage(configuration.directory.path)
        let full = usage.map { $0 >= configuration.diskUsageThreshold } ?? false
        let (becameFull, becameFree) = state.withLock { state -> (Bool, Bool) in
            defer { state.paused = full }
            if full { state.suppressed += batchSize }
            return (full && !state.paused, !full && state.paused)
        }
        if becameFull {
            let percent = Int(((usage ?? 1) * 100).rounded())
            logger.warning(
                "disk almost full: raw frame logging paused",
                metadata: ["rawlog.directory": "\(configuration.directory.path)", "rawlog.disk_used_percent": "\(percent)"]
            )
            onAlert(RealtimeAlert(
                kind: "rawlog.disk_full",
                message: "raw frame logging paused: the disk holding \(configuration.directory.path) is \(percent)% used",
                at: clock.now
            ))
        } else if becameFree {
            logger.notice("disk usage below threshold: raw frame logging resumed", metadata: ["rawlog.directory": "\(configuration.directory.path)"])
        }
        if full { suppressedCounter.increment(by: batchSize) }
        return !full
    }

    /// Logs queue overflow at most once per `overflowLogInterval`.
    private func reportOverflow(reported: inout Int, next: inout Date) {
        let dropped = droppedFrames
        let now = clock.now
        guard dropped > reported, now >= next else { return }
        logger.warning(
            "raw frame log queue full: dropping the newest frames",
            metadata: ["rawlog.dropped": "\(dropped - reported)", "rawlog.dropped_total": "\(dropped)", "rawlog.capacity": "\(configuration.capacity)"]
        )
        reported = dropped
        next = now.addingTimeInterval(configuration.overflowLogInterval.timeInterval)
    }

    /// `YYYYMMDDHH` of the instant's KST hour.
    static func hourKey(_ instant: Date) -> String {
        let date = KSTDate(instant)
        return String(format: "%04d%02d%02d%02d", date.year, date.month, date.day, KST.secondOfDay(instant) / 3600)
    }

    /// One log line: ISO time, session, note (`-` when none), frame; tab-separated, escaped, newline-terminated.
    static func line(for entry: Entry) -> String {
        "\(KST.iso8601(entry.receivedAt))\t\(escape(entry.session))\t\(escape(entry.note ?? "-"))\t\(escape(entry.frame))\n"
    }

    /// Escapes `\`, tab, CR and LF so a frame stays on one line and can be restored exactly.
    public static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
