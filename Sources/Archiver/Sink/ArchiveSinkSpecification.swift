import Foundation
import Logging

/// A `--sink` argument: `sqlite:PATH` or `postgres://user@host:port/db[?schema=NAME&method=copy|unnest]`.
public enum ArchiveSinkSpecification {
    /// Opens the sink the specification names (not yet prepared).
    public static func open(_ specification: String, logger: Logger = Logger(label: "brokerhub.archiver.sink")) throws -> any ArchiveSink {
        if specification.hasPrefix("sqlite:") {
            let path = String(specification.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw ArchiverError(.invalidSpecification, "sqlite: needs a path (sqlite:/var/lib/brokerhub/archive.sqlite)") }
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return try SQLiteArchiveSink(path: path)
        }
        if specification.hasPrefix("postgres://") || specification.hasPrefix("postgresql://") {
            return PostgresArchiveSink(configuration: try PostgresSinkConfiguration(url: specification), logger: logger)
        }
        throw ArchiverError(.invalidSpecification, "sink must be sqlite:PATH or postgres://…")
    }

    /// The specification with any password replaced by `***` (for logs).
    public static func redacted(_ specification: String) -> String {
        guard var components = URLComponents(string: specification), components.password != nil else { return specification }
        components.password = "***"
        return components.string ?? "postgres://***"
    }
}
