import Foundation
import PostgresNIO

/// Where and how `PostgresArchiveSink` writes: parsed from `postgres://user[:password]@host[:port]/database`
/// (query items: `schema=NAME`, `method=copy|unnest` — default copy, the faster one measured —, and
/// `timeout=SECONDS`, the bound of one operation).
public struct PostgresSinkConfiguration: Sendable {
    /// How batches reach the tables.
    public enum WriteMethod: String, Sendable, CaseIterable {
        /// `COPY … FROM STDIN` (text format) straight into the keyed tables inside a savepoint; a batch with rows
        /// stored before goes through a temporary staging table and `INSERT … SELECT … ON CONFLICT DO NOTHING`.
        case copy
        /// One multi-row `INSERT … SELECT FROM unnest($1, $2, …) ON CONFLICT DO NOTHING` per table.
        case unnest
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// Schema holding the archive tables (created if missing). Tests use a unique one each.
    public var schema: String
    public var method: WriteMethod
    /// How long connecting may take before the attempt counts as a database error.
    public var connectTimeout: Duration
    /// The longest one operation (a batch's transaction, a count) may take. Past it the connection is closed
    /// and abandoned and the operation fails with `sink.timeout`: a reply that can no longer come (the server
    /// went away mid-transaction) never stalls the archiver.
    public var operationTimeout: Duration = .seconds(15)

    public init(
        host: String, port: Int = 5432, username: String, password: String? = nil, database: String,
        schema: String = "public", method: WriteMethod = .copy, connectTimeout: Duration = .seconds(5)
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.schema = schema
        self.method = method
        self.connectTimeout = connectTimeout
    }

    /// Parses a `postgres://` / `postgresql://` URL.
    public init(url: String) throws {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty
        else { throw ArchiverError(.invalidSpecification, "not a postgres:// URL") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        self.init(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password, database: database.isEmpty ? "postgres" : database
        )
        for item in components.queryItems ?? [] {
            switch item.name {
            case "schema":
                schema = item.value ?? schema
            case "method":
                guard let method = item.value.flatMap(WriteMethod.init(rawValue:)) else {
                    throw ArchiverError(.invalidSpecification, "method must be copy or unnest")
                }
                self.method = method
            case "timeout":
                guard let seconds = item.value.flatMap(Double.init), seconds > 0 else {
                    throw ArchiverError(.invalidSpecification, "timeout must be a positive number of seconds")
                }
                operationTimeout = .milliseconds(Int64(seconds * 1000))
            default:
                continue
            }
        }
        guard schema.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), !schema.isEmpty else {
            throw ArchiverError(.invalidSpecification, "schema must be letters, digits and underscores")
        }
    }

    var connection: PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: .disable
        )
        let (seconds, attoseconds) = connectTimeout.components
        configuration.options.connectTimeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return configuration
    }
}
