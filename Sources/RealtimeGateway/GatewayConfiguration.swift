import BrokerCore

/// How the realtime gateway treats its clients (read by `HubConfiguration`; see docs/configuration.md).
public struct GatewayConfiguration: Sendable {
    /// Frames queued for one client before the oldest are dropped (`BROKERHUB_GATEWAY_CLIENT_QUEUE`).
    public var clientQueue = 8_192
    /// Frames dropped for one client, in all, before it is disconnected (`BROKERHUB_GATEWAY_MAX_DROPS`).
    public var maxDrops = 100_000
    /// How often each client gets the broker's heartbeat (`PINGPONG`, `PING`) (`BROKERHUB_GATEWAY_HEARTBEAT_SECONDS`).
    public var heartbeat: Duration = .seconds(60)
    /// Requests one client may send per second before they are refused with the broker's answer
    /// (`BROKERHUB_GATEWAY_REQUESTS_PER_SECOND`).
    public var requestsPerSecond = 200
    /// The KIS TRs the hub's sessions register for trades and order books.
    public var kisTickTransaction = "H0STCNT0"
    public var kisBookTransaction = "H0STASP0"

    public init() {}
}
