import BrokerCore
import Foundation
import HubEngine
import Logging
import ServiceLifecycle

/// Where the hub keeps its shared state: the embedded SQLite store (one process), or Redis (distributed
/// mode: many processes, one token, one budget, one queue). Chosen once from the configuration.
struct HubBackends: Sendable {
    var tokenStore: any TokenStore
    var limiter: any RateLimiter
    /// Limits learned from the broker's refusals (Redis in distributed mode: shared by every hub).
    var learnedBudgets: any LearnedBudgetStore
    var queue: any TaskQueue
    var cipher: TokenCipher
    /// Long-running parts of the backends (Redis connections), run and closed with the hub; empty in
    /// embedded mode.
    var services: [any Service]

    static func make(
        _ configuration: HubConfiguration, clock: any HubClock, scheduler: ShareScheduler, logger: Logger
    ) throws -> HubBackends {
        guard let redisURL = configuration.redisURL else { return try embedded(configuration, clock: clock, scheduler: scheduler, logger: logger) }
        return try distributed(configuration, redisURL: redisURL, clock: clock, scheduler: scheduler, logger: logger)
    }

    private static func embedded(_ configuration: HubConfiguration, clock: any HubClock, scheduler: ShareScheduler, logger: Logger) throws -> HubBackends {
        let database: HubDatabase
        let cipher: TokenCipher
        if configuration.inMemory {
            database = try HubDatabase()
            cipher = try configuration.tokenKey.map(TokenCipher.init(base64:))
                ?? TokenCipher.load(keyFile: FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-\(UUID().uuidString).key").path)
        } else {
            database = try HubDatabase(path: configuration.dataDirectory + "/brokerhub.sqlite")
            cipher = try configuration.tokenKey.map(TokenCipher.init(base64:)) ?? TokenCipher.load(keyFile: configuration.dataDirectory + "/token.key")
        }
        let limiter = LocalRateLimiter(clock: clock, jitterAllowance: configuration.limits.jitterAllowance, smoothing: configuration.limits.smoothing)
        return HubBackends(
            tokenStore: SQLiteTokenStore(database: database), limiter: limiter, learnedBudgets: InMemoryLearnedBudgetStore(),
            queue: SQLiteTaskQueue(database: database, clock: clock, scheduler: scheduler), cipher: cipher, services: []
        )
    }
}
