import BrokerCore
import BrokerWire
import Foundation

/// What one day of a JSONL archive holds: its closed files with their lines, bytes and first/last instants.
/// Written atomically (temp file + rename) each time a file is rolled.
public struct ArchiveManifest: Sendable, Hashable {
    public struct File: Sendable, Hashable {
        public var name: String
        public var lines: Int
        /// Bytes of JSON lines (before compression).
        public var bytes: Int
        /// Bytes on disk.
        public var storedBytes: Int
        public var firstTime: Date?
        public var lastTime: Date?
        public var compressed: Bool

        public init(name: String, lines: Int, bytes: Int, storedBytes: Int, firstTime: Date?, lastTime: Date?, compressed: Bool) {
            self.name = name
            self.lines = lines
            self.bytes = bytes
            self.storedBytes = storedBytes
            self.firstTime = firstTime
            self.lastTime = lastTime
            self.compressed = compressed
        }
    }

    public var date: KSTDate
    public var prefix: String
    public var files: [File]

    public init(date: KSTDate, prefix: String, files: [File] = []) {
        self.date = date
        self.prefix = prefix
        self.files = files
    }

    public var lines: Int { files.reduce(0) { $0 + $1.lines } }
    public var firstTime: Date? { files.compactMap(\.firstTime).min() }
    public var lastTime: Date? { files.compactMap(\.lastTime).max() }

    /// Adds or replaces the entry of `file.name`, keeping files in name order.
    public mutating func record(_ file: File) {
        files.removeAll { $0.name == file.name }
        files.append(file)
        files.sort { $0.name < $1.name }
    }

    public func json() -> String {
        var object = JSONWriter.Object()
        object.add("date", date.description)
        object.add("prefix", prefix)
        object.add("lines", Int64(lines))
        object.add("bytes", Int64(files.reduce(0) { $0 + $1.bytes }))
        object.add("first_time", firstTime.map(KST.iso8601))
        object.add("last_time", lastTime.map(KST.iso8601))
        let entries = files.map { file -> String in
            var entry = JSONWriter.Object()
            entry.add("file", file.name)
            entry.add("lines", Int64(file.lines))
            entry.add("bytes", Int64(file.bytes))
            entry.add("stored_bytes", Int64(file.storedBytes))
            entry.add("first_time", file.firstTime.map(KST.iso8601))
            entry.add("last_time", file.lastTime.map(KST.iso8601))
            entry.add("compressed", file.compressed)
            return entry.json
        }
        object.add("files", raw: "[" + entries.joined(separator: ",") + "]")
        return object.json + "\n"
    }

    /// Reads a manifest back; throws on anything but what `json()` writes.
    public static func parse(_ bytes: [UInt8]) throws -> ArchiveManifest {
        let document = try JSONParser.parse(bytes)
        let top = try FieldReader(transaction: "manifest", record: nil, value: document, name: "manifest")
        guard let date = KSTDate(try top.text("date")) else { throw top.error("date", "expected YYYY-MM-DD") }
        var manifest = ArchiveManifest(date: date, prefix: try top.text("prefix"))
        for (index, element) in (document["files"]?.arrayValue ?? []).enumerated() {
            let row = try FieldReader(transaction: "manifest", record: index, value: element, name: "files")
            manifest.files.append(File(
                name: try row.text("file"), lines: Int(try row.int("lines")), bytes: Int(try row.int("bytes")),
                storedBytes: Int(try row.int("stored_bytes")),
                firstTime: try row.optionalText("first_time").flatMap(KST.parseISO8601),
                lastTime: try row.optionalText("last_time").flatMap(KST.parseISO8601),
                compressed: element["compressed"] == .bool(true)
            ))
        }
        return manifest
    }
}
