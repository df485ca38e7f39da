import BrokerCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension RawFrameLogger {
    /// Deletes log files whose hour ended more than `retention` before the clock's now; returns what it deleted.
    /// Files not named `YYYYMMDDHH.log` are left alone.
    @discardableResult
    public func sweep() -> [URL] {
        let cutoff = clock.now.addingTimeInterval(-configuration.retention.timeInterval)
        var deleted: [URL] = []
        for provider in Provider.allCases {
            let folder = configuration.directory.appendingPathComponent(provider.rawValue, isDirectory: true)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            for name in names.sorted() {
                guard name.hasSuffix(".log"), name.count == 14,
                      let hourStart = KST.parseCompactDateTime(name.prefix(10) + "0000"),
                      hourStart.addingTimeInterval(3600) <= cutoff else { continue }
                let url = folder.appendingPathComponent(name)
                do {
                    try FileManager.default.removeItem(at: url)
                    deleted.append(url)
                } catch {
                    logger.warning("raw frame log retention could not delete a file", metadata: ["rawlog.file": "\(url.path)", "error": "\(error)"])
                }
            }
        }
        if !deleted.isEmpty {
            logger.info("raw frame log retention deleted old files", metadata: ["rawlog.deleted": "\(deleted.count)"])
        }
        return deleted
    }

    /// Used fraction (0...1) of the file system holding `path` as `df` counts it (`statvfs`); nil when unknown.
    @Sendable
    public static func fileSystemUsage(atPath path: String) -> Double? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        let used = Double(stats.f_blocks) - Double(stats.f_bfree)
        let total = used + Double(stats.f_bavail)
        return total > 0 ? used / total : nil
    }
}
