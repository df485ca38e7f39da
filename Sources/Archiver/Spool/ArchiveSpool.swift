#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Realtime

/// The archiver's disk spool for batches the database would not take: append-only segment files of
/// `RealtimeEventCodec` records, fsynced before `append` returns (only then may the bus be acknowledged).
///
/// Record: `length` (UInt32 big-endian) · `checksum` (FNV-1a 32 of the bytes, big-endian) · codec bytes.
/// A torn tail (crash mid-append) is ignored on replay: those events were never acknowledged, so the bus
/// delivers them again. Segments are replayed oldest first and deleted only after their rows committed.
public actor ArchiveSpool {
    public nonisolated let directory: URL
    private var openSegment: (url: URL, descriptor: Int32)?
    private var nextSequence: UInt64

    /// Opens (creating) the spool directory; existing segments are kept for replay.
    public init(directory: URL) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ArchiverError(.spoolFailure, "cannot create spool directory \(directory.path)", underlying: error)
        }
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        nextSequence = existing.compactMap(Self.sequence(of:)).max().map { $0 + 1 } ?? 1
    }

    /// Segments waiting for replay, oldest first.
    public func segments() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name in Self.sequence(of: name).map { ($0, name) } }
            .sorted { $0.0 < $1.0 }
            .map { directory.appendingPathComponent($0.1) }
    }

    public var isEmpty: Bool { segments().isEmpty }

    /// Appends the events to the open segment and fsyncs; when it returns they are durable.
    public func append(_ events: [RealtimeEvent]) throws {
        guard !events.isEmpty else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(events.count * 160)
        for event in events {
            let record = RealtimeEventCodec.encode(event)
            Self.appendUInt32(UInt32(record.count), to: &bytes)
            Self.appendUInt32(Self.checksum(record), to: &bytes)
            bytes.append(contentsOf: record)
        }
        let segment = try currentSegment()
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc_write(segment.descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw spoolError("write", segment.url)
                }
                offset += written
            }
        }
        guard fsync(segment.descriptor) == 0 else { throw spoolError("fsync", segment.url) }
    }

    /// Closes the open segment so the next `append` starts a new one (call before replaying).
    public func seal() {
        if let openSegment { _ = Glibc_close(openSegment.descriptor) }
        openSegment = nil
    }

    /// The events of one segment, in append order; a torn or corrupt tail ends the segment.
    public func events(in segment: URL) throws -> [RealtimeEvent] {
        let data: Data
        do { data = try Data(contentsOf: segment) } catch {
            throw ArchiverError(.spoolFailure, "cannot read spool segment \(segment.lastPathComponent)", underlying: error)
        }
        let bytes = [UInt8](data)
        var events: [RealtimeEvent] = []
        var offset = 0
        while offset + 8 <= bytes.count {
            let length = Int(Self.readUInt32(bytes, at: offset))
            let checksum = Self.readUInt32(bytes, at: offset + 4)
            let start = offset + 8
            guard length > 0, start + length <= bytes.count else { break }
            let record = bytes[start..<(start + length)]
            guard Self.checksum(record) == checksum else { break }
            do { events.append(try RealtimeEventCodec.decode(record)) } catch {
                throw ArchiverError(.spoolFailure, "undecodable record in \(segment.lastPathComponent) at \(offset)", underlying: error)
            }
            offset = start + length
        }
        return events
    }

    /// Deletes a replayed segment (after its rows committed) and syncs the directory.
    public func remove(_ segment: URL) throws {
        if openSegment?.url == segment { seal() }
        guard unlink(segment.path) == 0 || errno == ENOENT else { throw spoolError("unlink", segment) }
        syncDirectory()
    }

    /// Closes the open segment.
    public func close() { seal() }

    private func currentSegment() throws -> (url: URL, descriptor: Int32) {
        if let openSegment { return openSegment }
        let url = directory.appendingPathComponent(String(format: "spool-%020llu.seg", nextSequence))
        nextSequence += 1
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw spoolError("open", url) }
        openSegment = (url, descriptor)
        syncDirectory()
        return (url, descriptor)
    }

    private func syncDirectory() {
        let descriptor = open(directory.path, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        _ = Glibc_close(descriptor)
    }

    private func spoolError(_ operation: String, _ url: URL) -> ArchiverError {
        ArchiverError(.spoolFailure, "\(operation) \(url.path): \(String(cString: strerror(errno)))")
    }

    private static func sequence(of name: String) -> UInt64? {
        guard name.hasPrefix("spool-"), name.hasSuffix(".seg") else { return nil }
        return UInt64(name.dropFirst(6).dropLast(4))
    }

    private static func appendUInt32(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return hash
    }
}

/// The C calls, named apart from the actor's own `close()`.
private func Glibc_write(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(descriptor, buffer, count) }
private func Glibc_close(_ descriptor: Int32) -> Int32 { close(descriptor) }
