import BrokerCore
import CZlib
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The archive's file operations over POSIX calls: appending, fsync, torn-tail repair, line scans (plain or
/// gzip), compression and atomic replacement. Every failure is a `snapshot.archive_io` error naming the file.
enum ArchiveFiles {
    static func failure(_ what: String, _ path: String, errno code: Int32 = errno) -> BrokerHubError {
        BrokerHubError(.archiveIO, "\(what) \(path): \(String(cString: strerror(code)))")
    }

    /// Creates `path` (and its parents) readable by this user alone when it does not exist.
    static func makeDirectory(_ path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { return }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw BrokerHubError(.archiveIO, "cannot create \(path)", underlying: error)
        }
    }

    /// An open file lines are appended to.
    struct AppendFile {
        let path: String
        let descriptor: Int32

        init(path: String) throws {
            let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw failure("cannot open", path) }
            self.path = path
            self.descriptor = descriptor
        }

        func write(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw failure("cannot write", path)
                    }
                    offset += written
                }
            }
        }

        func sync() throws {
            guard fsync(descriptor) == 0 else { throw failure("cannot fsync", path) }
        }

        func close() { _ = Glibc.close(descriptor) }
    }

    static func size(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Cuts what follows the last newline (a line a killed writer left half-written); returns the bytes cut.
    static func repairTornTail(_ path: String) throws -> Int {
        let descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("cannot open", path) }
        defer { _ = Glibc.close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure("cannot stat", path) }
        let size = Int(info.st_size)
        var end = size
        var keep = 0
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        search: while end > 0 {
            let start = max(0, end - chunk.count)
            let count = end - start
            let read = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, count, off_t(start)) }
            guard read == count else { throw failure("cannot read", path) }
            for index in stride(from: count - 1, through: 0, by: -1) where chunk[index] == UInt8(ascii: "\n") {
                keep = start + index + 1
                break search
            }
            end = start
        }
        guard keep < size else { return 0 }
        guard ftruncate(descriptor, off_t(keep)) == 0, fsync(descriptor) == 0 else { throw failure("cannot truncate", path) }
        return size - keep
    }

    /// What a scan of a file's lines found.
    struct LineScan {
        var lines = 0
        var bytes = 0
        var firstTime: Date?
        var lastTime: Date?
    }

    /// Counts the complete lines of a file (gzip when `compressed`) and reads the first and last line's
    /// `timeField` instant.
    static func scan(_ path: String, compressed: Bool, timeField: String) throws -> LineScan {
        var scan = LineScan()
        var line: [UInt8] = []
        var lastLine: [UInt8] = []
        let marker = Array("\"\(timeField)\":\"".utf8)
        func consume(_ bytes: UnsafeRawBufferPointer) {
            scan.bytes += bytes.count
            for byte in bytes {
                if byte == UInt8(ascii: "\n") {
                    scan.lines += 1
                    if scan.lines == 1 { scan.firstTime = time(in: line, marker: marker) }
                    lastLine = line
                    line.removeAll(keepingCapacity: true)
                } else {
                    line.append(byte)
                }
            }
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        if compressed {
            guard let file = gzopen(path, "rb") else { throw failure("cannot open", path) }
            defer { gzclose(file) }
            while true {
                let read = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
                if read < 0 { throw BrokerHubError(.archiveIO, "cannot read \(path): corrupt gzip stream") }
                if read == 0 { break }
                chunk.withUnsafeBytes { consume(UnsafeRawBufferPointer(rebasing: $0[0..<Int(read)])) }
            }
        } else {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw failure("cannot open", path) }
            defer { _ = Glibc.close(descriptor) }
            while true {
                let read = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, $0.count) }
                if read < 0 {
                    if errno == EINTR { continue }
                    throw failure("cannot read", path)
                }
                if read == 0 { break }
                chunk.withUnsafeBytes { consume(UnsafeRawBufferPointer(rebasing: $0[0..<read])) }
            }
        }
        scan.bytes -= line.count  // a torn tail is not a line
        if scan.lines > 0 { scan.lastTime = time(in: lastLine, marker: marker) }
        return scan
    }

    /// The instant after `marker` (`"field":"`) in a line, when it is one `KST.iso8601` wrote.
    static func time(in line: [UInt8], marker: [UInt8]) -> Date? {
        guard line.count > marker.count else { return nil }
        var index = 0
        while index + marker.count <= line.count {
            if line[index] == marker[0], line[index..<(index + marker.count)].elementsEqual(marker) {
                let start = index + marker.count
                guard let end = line[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
                return KST.parseISO8601(String(decoding: line[start..<end], as: UTF8.self))
            }
            index += 1
        }
        return nil
    }

    /// gzips `source` into `destination` through a temporary file that is synced and renamed; returns the
    /// compressed size. The source is left for the caller to remove.
    static func gzip(_ source: String, to destination: String) throws -> Int {
        let temporary = destination + ".tmp"
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw failure("cannot open", source) }
        defer { _ = Glibc.close(input) }
        let output = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw failure("cannot create", temporary) }
        let duplicate = dup(output)
        guard duplicate >= 0, let stream = gzdopen(duplicate, "wb6") else {
            _ = Glibc.close(output)
            throw failure("cannot start gzip for", temporary)
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var failed: BrokerHubError?
        while failed == nil {
            let read = chunk.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress!, $0.count) }
            if read < 0, errno == EINTR { continue }
            if read < 0 { failed = failure("cannot read", source); break }
            if read == 0 { break }
            let written = chunk.withUnsafeBytes { gzwrite(stream, $0.baseAddress, UInt32(read)) }
            if written != read { failed = BrokerHubError(.archiveIO, "cannot compress into \(temporary)") }
        }
        if gzclose(stream) != Z_OK, failed == nil { failed = BrokerHubError(.archiveIO, "cannot finish gzip stream \(temporary)") }
        if failed == nil, fsync(output) != 0 { failed = failure("cannot fsync", temporary) }
        _ = Glibc.close(output)
        if let failed {
            unlink(temporary)
            throw failed
        }
        try rename(temporary, to: destination)
        return size(destination)
    }

    static func rename(_ source: String, to destination: String) throws {
        guard Glibc.rename(source, destination) == 0 else { throw failure("cannot rename \(source) to", destination) }
        syncDirectory((destination as NSString).deletingLastPathComponent)
    }

    /// Replaces `path` with `text` atomically: a synced temporary file renamed over it.
    static func replace(_ path: String, with text: String) throws {
        let temporary = path + ".tmp"
        let file = try AppendFile(path: temporary)
        defer { file.close() }
        _ = ftruncate(file.descriptor, 0)
        try file.write(Array(text.utf8))
        try file.sync()
        try rename(temporary, to: path)
    }

    /// Makes a rename in `directory` durable (best effort: some file systems refuse to sync a directory).
    static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        _ = Glibc.close(descriptor)
    }
}
