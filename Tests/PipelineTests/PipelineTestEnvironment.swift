import Foundation

/// Where the pipeline tests find their real services, and unique names so parallel runs never collide.
enum PipelineTestEnvironment {
    /// `BROKERHUB_TEST_REDIS_URL` (redis://host:port/db), nil when unset: Redis cases are then skipped.
    static var redisURL: String? { value("BROKERHUB_TEST_REDIS_URL") }
    /// `BROKERHUB_TEST_REDIS_CLUSTER_URL` (redis+cluster://…), nil when unset: Redis Cluster cases are then skipped.
    static var redisClusterURL: String? { value("BROKERHUB_TEST_REDIS_CLUSTER_URL") }

    /// `BROKERHUB_TEST_POSTGRES_URL` (postgres://user@host:port/db), nil when unset: PostgreSQL cases are
    /// then skipped.
    static var postgresURL: String? { value("BROKERHUB_TEST_POSTGRES_URL") }

    /// `base` plus a short random suffix, usable as a key prefix, table, schema or file name
    /// (lowercase letters, digits and `_`).
    static func uniqueName(_ base: String) -> String {
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        return "\(base)_\(suffix)"
    }

    /// A fresh temporary directory for one test (journals, spools, SQLite files).
    static func temporaryDirectory(_ base: String = "pipeline") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("brokerhub_\(base)"))
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}
