import BrokerCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A rolling JSON-lines archive (see `JSONLArchiveConfiguration` for the layout). Lines go to the day's
/// `.open` file; a file is rolled — synced, closed, renamed to `.jsonl`, compressed when asked, entered in
/// the day's manifest — when the next line would pass the size limit, when a line of another day comes, and
/// on `close()`. A killed writer leaves at worst a half-written last line in its `.open` file:
/// `recover(today:)` cuts it, adopts today's file and rolls older ones, so a reader never meets a torn line
/// in a rolled file.
public actor JSONLArchive {
    /// One line (without its newline) and the instant that decides its day.
    public struct Entry: Sendable {
        public var line: String
        public var time: Date

        public init(line: String, time: Date) {
            self.line = line
            self.time = time
        }
    }

    /// What the archive has done since it started.
    public struct Statistics: Sendable, Equatable {
        public var lines = 0
        public var bytes = 0
        public var filesRolled = 0
        public var filesCompressed = 0
        public var tornBytesRepaired = 0
        public var daysRemoved = 0
    }

    /// What `recover(today:)` found and did.
    public struct Recovery: Sendable, Equatable {
        /// Today's `.open` file, continued.
        public var adopted: String?
        /// Files of earlier runs rolled now.
        public var rolled: [String] = []
        /// Bytes of half-written lines cut.
        public var tornBytes = 0
        public var daysRemoved = 0
    }

    struct Active {
        var date: KSTDate
        var name: String
        var file: ArchiveFiles.AppendFile
        var bytes: Int
        var lines: Int
        var firstTime: Date?
        var lastTime: Date?
    }

    public let configuration: JSONLArchiveConfiguration
    private var active: Active?
    private var manifests: [KSTDate: ArchiveManifest] = [:]
    public private(set) var statistics = Statistics()

    public init(configuration: JSONLArchiveConfiguration) {
        self.configuration = configuration
    }

    /// The file being written, if any.
    public var activeFile: String? { active?.file.path }

    /// The day's manifest as last written (nil when that day has no rolled file).
    public func manifest(on date: KSTDate) throws -> ArchiveManifest? {
        let loaded = try loadManifest(date)
        return loaded.files.isEmpty ? nil : loaded
    }

    // MARK: Writing

    /// Appends `entries` in order, rolling by day and size as it goes.
    public func append(_ entries: [Entry]) throws {
        var pending: [UInt8] = []
        var pendingLines = 0
        var first: Date?
        var last: Date?
        func flush() throws {
            guard var current = active, !pending.isEmpty else { return }
            try current.file.write(pending)
            current.bytes += pending.count
            current.lines += pendingLines
            current.firstTime = current.firstTime ?? first
            current.lastTime = last ?? current.lastTime
            active = current
            statistics.lines += pendingLines
            statistics.bytes += pending.count
            pending.removeAll(keepingCapacity: true)
            pendingLines = 0
            first = nil
            last = nil
        }
        for entry in entries {
            let date = KSTDate(entry.time)
            let size = entry.line.utf8.count + 1
            if let current = active {
                let full = current.lines + pendingLines > 0 && current.bytes + pending.count + size > configuration.maxFileBytes
                if current.date != date || full {
                    try flush()
                    try roll()
                    if current.date != date { try removeExpiredDays(today: date) }
                }
            }
            if active == nil { try openFile(date) }
            pending.append(contentsOf: entry.line.utf8)
            pending.append(UInt8(ascii: "\n"))
            pendingLines += 1
            first = first ?? entry.time
            last = entry.time
        }
        try flush()
    }

    /// Rolls the file being written now (nothing to do without one; an empty one is removed).
    public func roll() throws {
        guard let current = active else { return }
        active = nil
        try current.file.sync()
        current.file.close()
        let scan = ArchiveFiles.LineScan(lines: current.lines, bytes: current.bytes, firstTime: current.firstTime, lastTime: current.lastTime)
        try finish(openPath: current.file.path, date: current.date, name: current.name, scan: scan)
    }

    /// Rolls the file being written (call on shutdown: its lines are then in the day's manifest).
    public func close() throws { try roll() }

    // MARK: Recovery

    /// Repairs what an earlier run left: cuts torn last lines, continues today's `.open` file, rolls older
    /// ones, enters rolled files the manifest misses (a run killed between rename and manifest), finishes
    /// interrupted compressions and removes expired days.
    public func recover(today: KSTDate) throws -> Recovery {
        try ArchiveFiles.makeDirectory(configuration.directory)
        var recovery = Recovery()
        for date in try days() {
            let directory = dayDirectory(date)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            let ours = names.filter { $0.hasPrefix(configuration.prefix + "-") }.sorted()
            for name in ours where name.hasSuffix(".tmp") { unlink(directory + "/" + name) }
            var manifest = try loadManifest(date)
            var changed = false
            for name in ours where name.hasSuffix(".jsonl.open") {
                let path = directory + "/" + name
                // Recovering twice must not roll the file this archive is writing.
                if path == active?.file.path { continue }
                let torn = try ArchiveFiles.repairTornTail(path)
                recovery.tornBytes += torn
                statistics.tornBytesRepaired += torn
                let scan = try ArchiveFiles.scan(path, compressed: false, timeField: configuration.timeField)
                let base = String(name.dropLast(".open".count))
                if date == today, active == nil {
                    active = Active(
                        date: date, name: base, file: try ArchiveFiles.AppendFile(path: path), bytes: scan.bytes, lines: scan.lines,
                        firstTime: scan.firstTime, lastTime: scan.lastTime
                    )
                    recovery.adopted = path
                } else {
                    try finish(openPath: path, date: date, name: base, scan: scan)
                    recovery.rolled.append(base)
                    manifest = try loadManifest(date)
                }
            }
            for name in ours where name.hasSuffix(".jsonl") || name.hasSuffix(".jsonl.gz") {
                let path = directory + "/" + name
                guard FileManager.default.fileExists(atPath: path) else { continue }
                if name.hasSuffix(".jsonl"), configuration.compressAfterRoll || manifest.files.contains(where: { $0.name == name + ".gz" }) {
                    // Rolled, but its compression did not finish.
                    let scan = try ArchiveFiles.scan(path, compressed: false, timeField: configuration.timeField)
                    manifest.record(try compress(path, name: name, scan: scan))
                    changed = true
                } else if !manifest.files.contains(where: { $0.name == name }) {
                    let scan = try ArchiveFiles.scan(path, compressed: name.hasSuffix(".gz"), timeField: configuration.timeField)
                    manifest.record(ArchiveManifest.File(
                        name: name, lines: scan.lines, bytes: scan.bytes, storedBytes: ArchiveFiles.size(path),
                        firstTime: scan.firstTime, lastTime: scan.lastTime, compressed: name.hasSuffix(".gz")
                    ))
                    changed = true
                }
            }
            if changed { try save(manifest) }
        }
        let removed = try removeExpiredDays(today: today)
        recovery.daysRemoved = removed
        return recovery
    }

    // MARK: Files

    private func dayDirectory(_ date: KSTDate) -> String { configuration.directory + "/" + date.description }

    private func manifestPath(_ date: KSTDate) -> String { dayDirectory(date) + "/" + configuration.prefix + ".manifest.json" }

    /// The days present in the directory, oldest first.
    private func days() throws -> [KSTDate] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: configuration.directory)) ?? []
        return names.filter { $0.count == 10 }.compactMap(KSTDate.init).sorted()
    }

    private func openFile(_ date: KSTDate) throws {
        let directory = dayDirectory(date)
        try ArchiveFiles.makeDirectory(directory)
        let stem = configuration.prefix + "-" + date.compact + "-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let used = names.filter { $0.hasPrefix(stem) }.compactMap { Int($0.dropFirst(stem.count).prefix(4)) }
        let name = stem + String(format: "%04d", (used.max() ?? 0) + 1) + ".jsonl"
        let file = try ArchiveFiles.AppendFile(path: directory + "/" + name + ".open")
        active = Active(date: date, name: name, file: file, bytes: 0, lines: 0, firstTime: nil, lastTime: nil)
    }

    /// Renames a closed `.open` file, compresses it when configured and enters it in the day's manifest.
    private func finish(openPath: String, date: KSTDate, name: String, scan: ArchiveFiles.LineScan) throws {
        guard scan.lines > 0 else {
            unlink(openPath)
            return
        }
        let path = dayDirectory(date) + "/" + name
        try ArchiveFiles.rename(openPath, to: path)
        var entry = ArchiveManifest.File(
            name: name, lines: scan.lines, bytes: scan.bytes, storedBytes: scan.bytes, firstTime: scan.firstTime, lastTime: scan.lastTime,
            compressed: false
        )
        statistics.filesRolled += 1
        if configuration.compressAfterRoll { entry = try compress(path, name: name, scan: scan) }
        var manifest = try loadManifest(date)
        manifest.record(entry)
        try save(manifest)
    }

    private func compress(_ path: String, name: String, scan: ArchiveFiles.LineScan) throws -> ArchiveManifest.File {
        let stored = try ArchiveFiles.gzip(path, to: path + ".gz")
        unlink(path)
        statistics.filesCompressed += 1
        return ArchiveManifest.File(
            name: name + ".gz", lines: scan.lines, bytes: scan.bytes, storedBytes: stored, firstTime: scan.firstTime, lastTime: scan.lastTime,
            compressed: true
        )
    }

    private func loadManifest(_ date: KSTDate) throws -> ArchiveManifest {
        if let known = manifests[date] { return known }
        let path = manifestPath(date)
        guard let data = FileManager.default.contents(atPath: path) else { return ArchiveManifest(date: date, prefix: configuration.prefix) }
        do {
            let manifest = try ArchiveManifest.parse(Array(data))
            manifests[date] = manifest
            return manifest
        } catch {
            throw BrokerHubError(.archiveIO, "manifest \(path) cannot be read", underlying: error)
        }
    }

    private func save(_ manifest: ArchiveManifest) throws {
        try ArchiveFiles.replace(manifestPath(manifest.date), with: manifest.json())
        manifests[manifest.date] = manifest
    }

    /// Removes the days older than the retention (never the day being written); returns how many.
    @discardableResult
    private func removeExpiredDays(today: KSTDate) throws -> Int {
        guard let keep = configuration.retentionDays, keep > 0 else { return 0 }
        let cutoff = today.adding(days: -(keep - 1))
        var removed = 0
        for date in try days() where date < cutoff && date != active?.date {
            // Other archives (rejects) may share the day: only this prefix's files go, then the folder if empty.
            let directory = dayDirectory(date)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names where name.hasPrefix(configuration.prefix + "-") || name.hasPrefix(configuration.prefix + ".") {
                unlink(directory + "/" + name)
            }
            if ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).isEmpty { rmdir(directory) }
            manifests[date] = nil
            removed += 1
        }
        statistics.daysRemoved += removed
        return removed
    }
}
