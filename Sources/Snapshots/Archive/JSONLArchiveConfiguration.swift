import BrokerCore

/// Where and how a JSONL archive writes: `<directory>/<YYYY-MM-DD>/<prefix>-<YYYYMMDD>-<NNNN>.jsonl`, the file
/// being written ending in `.open`, rolled by trading date and by size, gzip-compressed after the roll when
/// asked, days older than the retention removed, and a `<prefix>.manifest.json` per day.
public struct JSONLArchiveConfiguration: Sendable, Hashable {
    public var directory: String
    /// The file name prefix (`snapshots`, `rejects`): several archives can share one directory.
    public var prefix: String
    /// A file is rolled before a line would take it past this size.
    public var maxFileBytes: Int
    /// gzip each file after it is rolled (`.jsonl.gz`).
    public var compressAfterRoll: Bool
    /// Days kept (today included); nil keeps every day.
    public var retentionDays: Int?
    /// The member of each line holding its instant (KST ISO-8601), read back for the manifest after a restart.
    public var timeField: String

    public init(
        directory: String, prefix: String = "snapshots", maxFileBytes: Int = 64 << 20, compressAfterRoll: Bool = false,
        retentionDays: Int? = nil, timeField: String = "received_at"
    ) {
        self.directory = directory
        self.prefix = prefix
        self.maxFileBytes = maxFileBytes
        self.compressAfterRoll = compressAfterRoll
        self.retentionDays = retentionDays
        self.timeField = timeField
    }
}

extension BrokerHubError.Code {
    /// A snapshot archive file could not be written, read or renamed.
    public static let archiveIO = BrokerHubError.Code(rawValue: "snapshot.archive_io")
}
