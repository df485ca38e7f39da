import Foundation
import Logging
import RedisClient

/// The shared test Redis (`BROKERHUB_TEST_REDIS_URL`, started by scripts/test.sh) and helpers.
enum RedisTestEnvironment {
    static let url: String? = ProcessInfo.processInfo.environment["BROKERHUB_TEST_REDIS_URL"]
    /// The three-master test cluster (`BROKERHUB_TEST_REDIS_CLUSTER_URL`, `redis+cluster://…`).
    static let clusterURL: String? = ProcessInfo.processInfo.environment["BROKERHUB_TEST_REDIS_CLUSTER_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// A prefix unique to this test run so parallel helpers and runs never collide.
    static func prefix(_ test: String) -> String {
        "redisclient-test:\(UUID().uuidString.prefix(8)):\(test):"
    }

    static func client(url: String? = nil, configure: (inout RedisConfiguration) -> Void = { _ in }) throws -> RedisClient {
        var configuration = try RedisConfiguration(url: url ?? Self.url!)
        configure(&configuration)
        return RedisClient(configuration: configuration, logger: Logger(label: "test.redis"))
    }
}

extension RESPArgument {
    /// A key argument with a prefix.
    static func key(_ prefix: String, _ name: String) -> RESPArgument { .string(prefix + name) }
}
