import Foundation
import Logging
import RedisClient

/// The Redis server the Redis-backed cases run against: `BROKERHUB_TEST_REDIS_URL` (scripts/test.sh and CI
/// always set it). Without it those cases are skipped (`.enabled(if: RedisTestEnvironment.url != nil)`).
enum RedisTestEnvironment {
    static var url: String? {
        guard let url = ProcessInfo.processInfo.environment["BROKERHUB_TEST_REDIS_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// The three-master Redis Cluster (`BROKERHUB_TEST_REDIS_CLUSTER_URL`, `redis+cluster://…`, started by
    /// scripts/services.sh beside the single server); cases on it are skipped without it.
    static var clusterURL: String? {
        guard let url = ProcessInfo.processInfo.environment["BROKERHUB_TEST_REDIS_CLUSTER_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// A new client for the test server, or the test cluster (shut it down when done).
    static func client(cluster: Bool = false) throws -> RedisClient {
        let name = cluster ? "BROKERHUB_TEST_REDIS_CLUSTER_URL" : "BROKERHUB_TEST_REDIS_URL"
        guard let url = cluster ? clusterURL : url else { throw RedisError(.invalidURL, "\(name) is not set") }
        var logger = Logger(label: "brokerhub.test.redis")
        logger.logLevel = .warning
        return RedisClient(configuration: try RedisConfiguration(url: url), logger: logger)
    }

    /// Every key of a keyspace: `prefix:…` and the hash-tagged families `{prefix:…}…` (every master of a cluster).
    static func keys(under prefix: String, using client: RedisClient) async throws -> [String] {
        try await client.keys(matching: prefix + ":*") + client.keys(matching: "{" + prefix + ":*")
    }

    /// Deletes every key of a keyspace (best effort: tear-down).
    static func removeKeys(under prefix: String, using client: RedisClient) async {
        if let keys = try? await keys(under: prefix, using: client) { _ = try? await client.delete(keys) }
    }

    /// A key prefix no other test (or parallel run) uses, e.g. `bhtest:limiter:3f9a…`.
    static func uniquePrefix(_ name: String) -> String {
        "bhtest:\(name):\(UUID().uuidString.lowercased().prefix(12))"
    }
}
