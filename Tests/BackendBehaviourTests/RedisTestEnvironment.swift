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

    /// A new client for the test server (shut it down when done).
    static func client() throws -> RedisClient {
        guard let url else { throw RedisError(.invalidURL, "BROKERHUB_TEST_REDIS_URL is not set") }
        var logger = Logger(label: "brokerhub.test.redis")
        logger.logLevel = .warning
        return RedisClient(configuration: try RedisConfiguration(url: url), logger: logger)
    }

    /// A key prefix no other test (or parallel run) uses, e.g. `bhtest:limiter:3f9a…`.
    static func uniquePrefix(_ name: String) -> String {
        "bhtest:\(name):\(UUID().uuidString.lowercased().prefix(12))"
    }
}
