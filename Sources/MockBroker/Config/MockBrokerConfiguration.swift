import BrokerCore
import Foundation
import MockMarket

/// Everything the mock broker can be told at start-up. Defaults follow the reference sheets.
public struct MockBrokerConfiguration: Sendable {
    /// Rolling-window limits counted on arrival, per app key.
    public struct RateLimits: Sendable, Hashable {
        /// KIS requests per second per real-account key (EGW00201 above; 18 since 2026-04-20).
        public var kisRealPerSecond = 18
        /// KIS requests per second per paper-account key (1 since 2026-04-20).
        public var kisPaperPerSecond = 1
        /// Optional KIS per-minute cap per key.
        public var kisPerMinute: Int?
        /// Kiwoom requests per second per key, all api-ids together (1701 above).
        public var kiwoomTotalPerSecond = 5
        /// Kiwoom requests per second per key and api-id (1700 above).
        public var kiwoomPerAPIPerSecond = 2
        /// The rolling window the per-second limits are counted over.
        public var window: Duration = .seconds(1)

        public init() {}
    }

    public var host = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 0
    public var seed: UInt64 = 20_250_908
    public var universeSize = 2_700
    /// Simulated market speed (1 = real time).
    public var marketSpeed: Double = 1
    /// Hold the market open whatever the wall clock says.
    public var alwaysOpen = false
    /// Simulated time at start; now when nil.
    public var marketStart: Date?
    public var limits = RateLimits()
    /// KIS access-token lifetime (24 h); a re-issue within `kisSameTokenWindow` returns the same token.
    public var kisTokenLifetime: Duration = .seconds(86_400)
    public var kisSameTokenWindow: Duration = .seconds(6 * 3600)
    /// At most one KIS token issue per key per this interval (EGW00133 otherwise).
    public var kisTokenIssueInterval: Duration = .seconds(60)
    /// At most one KIS approval key per key per this interval (HTTP 500 EGW00201 otherwise; KIS: 1 per second).
    public var kisApprovalIssueInterval: Duration = .seconds(1)
    public var kiwoomTokenLifetime: Duration = .seconds(86_400)
    /// KIS sends PINGPONG this often; a session that does not answer within the next interval is closed.
    public var pingInterval: Duration = .seconds(110)
    /// How often realtime sessions push due trades and books.
    public var pushInterval: Duration = .milliseconds(100)
    /// Registrations per KIS WebSocket session (the 42nd gets OPSP0008).
    public var kisSubscriptionCap = 41
    /// Kiwoom items one `REG` group may hold ("about 100", reference sheet section 6, unofficial).
    public var kiwoomItemsPerGroup = 100
    /// Kiwoom registrations (item × type) one session may hold — the mock's own bound on a client's memory use,
    /// not a documented Kiwoom limit.
    public var kiwoomSubscriptionCap = 2_000
    /// Fields per `H0STCNT0`-layout record: 47 as KIS sends since 2026-09-14 (`MARKET_CLS_CODE` last), or 46 as
    /// before — for clients written for 46 (python-kis 2.1.6 refuses 47).
    public var kisTickFields = 47
    /// Stream mode and execution notices for realtime sessions (changeable at runtime: `/_mock/realtime`).
    public var realtime = RealtimeControl()
    public var credentials: MockCredentials
    public var faults = FaultProfile.none

    public init(credentials: MockCredentials = .generated(seed: 20_250_908)) {
        self.credentials = credentials
    }
}
