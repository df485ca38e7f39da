import BrokerCore
import Foundation
import HubEngine
import HubRedis
import Logging
import RedisClient

extension HubBackends {
    /// Distributed mode: tokens and queue on `redisURL`, the limiter on the gatekeeper (the same server
    /// unless configured otherwise). Every hub of a deployment needs the same token key.
    static func distributed(
        _ configuration: HubConfiguration, redisURL: String, clock: any HubClock, scheduler: ShareScheduler, logger: Logger
    ) throws -> HubBackends {
        guard let key = configuration.tokenKey else {
            throw BrokerHubError(.invalidConfiguration, "distributed mode needs BROKERHUB_TOKEN_KEY (base64 of 32 bytes, e.g. `openssl rand -base64 32`), the same on every hub: tokens in Redis are encrypted with it")
        }
        let cipher = try TokenCipher(base64: key)
        let keyspace = RedisKeyspace(prefix: configuration.redisPrefix)
        let store = try client(redisURL, role: "store", logger: logger)
        let gatekeeper = try configuration.gatekeeperURL.map { try client($0, role: "gatekeeper", logger: logger) }
        let limiter = RedisRateLimiter(
            client: gatekeeper ?? store, keyspace: keyspace,
            jitterAllowance: configuration.limits.jitterAllowance, smoothing: configuration.limits.smoothing
        )
        let queue = RedisTaskQueue(
            client: store, keyspace: keyspace, clock: clock, scheduler: scheduler,
            resultTTL: max(configuration.resultRetention, .seconds(60)) * 2
        )
        return HubBackends(
            tokenStore: RedisTokenStore(client: store, keyspace: keyspace), limiter: limiter,
            learnedBudgets: RedisLearnedBudgetStore(client: gatekeeper ?? store, keyspace: keyspace), queue: queue, cipher: cipher,
            services: [store] + (gatekeeper.map { [$0] } ?? [])
        )
    }

    static func client(_ url: String, role: String, logger: Logger) throws -> RedisClient {
        let configuration: RedisConfiguration
        do { configuration = try RedisConfiguration(url: url) } catch {
            throw BrokerHubError(.invalidConfiguration, "the \(role) Redis URL is not valid: \(error)")
        }
        var logger = logger
        logger[metadataKey: "redis.role"] = "\(role)"
        return RedisClient(configuration: configuration, logger: logger)
    }
}
