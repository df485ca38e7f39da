import BrokerClients
import BrokerCore
import Foundation
import HubEngine
import HubRedis
import Logging
import ServiceLifecycle

/// The hub's token store as another process of the deployment opens it — a standalone `collect` — so that it
/// uses the hub's token and approval key instead of issuing its own: the embedded store in the hub's data
/// directory (SQLite, shared between processes), or the hub's Redis with the same `BROKERHUB_TOKEN_KEY`
/// (whose fenced issuance lock makes one process issue).
public enum SharedTokens {
    /// A token manager over the store `configuration` names, and the services it needs run (Redis connections).
    public static func open(_ configuration: HubConfiguration, clock: any HubClock = SystemClock(), logger: Logger) throws -> (tokens: TokenManager, services: [any Service]) {
        guard !configuration.inMemory else {
            throw BrokerHubError(.invalidConfiguration, "an in-memory hub store cannot be shared: give the hub's --data-dir or --redis")
        }
        let backend = try HubBackends.tokenBackend(configuration, logger: logger)
        let tokens = TokenManager(
            store: backend.store, cipher: backend.cipher, clients: [KISClient(clock: clock), KiwoomClient(clock: clock)], clock: clock,
            policy: configuration.tokens, logger: logger
        )
        return (tokens, backend.services)
    }
}

extension HubBackends {
    /// Only the token store and its cipher, as `make` builds them.
    static func tokenBackend(_ configuration: HubConfiguration, logger: Logger) throws -> (store: any TokenStore, cipher: TokenCipher, services: [any Service]) {
        if let redisURL = configuration.redisURL {
            guard let key = configuration.tokenKey else {
                throw BrokerHubError(.invalidConfiguration, "the hub's Redis token store needs BROKERHUB_TOKEN_KEY, the hub's own")
            }
            let client = try client(redisURL, role: "store", logger: logger)
            return (RedisTokenStore(client: client, keyspace: RedisKeyspace(prefix: configuration.redisPrefix)), try TokenCipher(base64: key), [client])
        }
        let database = try HubDatabase(path: configuration.dataDirectory + "/brokerhub.sqlite")
        let cipher = try configuration.tokenKey.map(TokenCipher.init(base64:)) ?? TokenCipher.load(keyFile: configuration.dataDirectory + "/token.key")
        return (SQLiteTokenStore(database: database), cipher, [])
    }
}
