import BrokerCore
import Foundation
import Logging
import MockMarket
import Synchronization

/// The state of a running mock broker: the simulated market, issued tokens, rate-limit windows, faults and
/// statistics. Protocol handlers (REST and WebSocket) are extensions of it; the server glue is in
/// `MockBrokerServer`.
public final class MockBroker: Sendable {
    public let configuration: MockBrokerConfiguration
    public let market: MarketSimulator
    public let clock: MarketClock
    public let stats = MockStats()
    let tokens: TokenRegistry
    let sessions = SessionRegistry()
    let logger: Logger
    private let windows = Mutex(ArrivalWindow())
    private let faultState: Mutex<FaultProfile>
    private let realtimeState: Mutex<RealtimeControl>
    private let randomState: Mutex<SeededGenerator>
    private let continuous = ContinuousClock()

    public init(configuration: MockBrokerConfiguration, logger: Logger = Logger(label: "brokerhub.mock")) {
        self.configuration = configuration
        self.logger = logger
        var marketConfiguration = MarketSimulator.Configuration(seed: configuration.seed, universeSize: configuration.universeSize)
        let start = configuration.marketStart ?? Date()
        if KSTDate(start).year >= 2027 {
            marketConfiguration.historyEnd = KSTDate(start).adding(days: 400)
        }
        market = MarketSimulator(marketConfiguration)
        clock = MarketClock(start: start, speed: configuration.marketSpeed, alwaysOpen: configuration.alwaysOpen, calendar: marketConfiguration.calendar)
        tokens = TokenRegistry(seed: configuration.seed)
        faultState = Mutex(configuration.faults)
        realtimeState = Mutex(configuration.realtime)
        randomState = Mutex(SeededGenerator(seed: configuration.seed ^ 0xFA17))
    }

    /// Simulated market time now.
    public var marketNow: Date { clock.simulated(at: Date()) }

    public var faults: FaultProfile {
        get { faultState.withLock { $0 } }
        set { faultState.withLock { $0 = newValue } }
    }

    /// Stream mode and execution notices, as configured or last set through `/_mock/realtime`.
    public var realtime: RealtimeControl {
        get { realtimeState.withLock { $0 } }
        set { realtimeState.withLock { $0 = newValue } }
    }

    /// A uniform random number in [0, 1) for fault decisions.
    func chance() -> Double { randomState.withLock { Double($0.next() >> 11) * 0x1.0p-53 } }

    /// Whether a fault with probability `rate` fires now.
    func fires(_ rate: Double) -> Bool { rate > 0 && chance() < rate }

    /// Counts an arrival (at `instant`, now by default) against every window that applies; false when any
    /// is full (a violation).
    func admit(_ windows: [(key: String, limit: Int, window: Duration)], at instant: ContinuousClock.Instant? = nil) -> Bool {
        let now = instant ?? continuous.now
        return self.windows.withLock { state in
            // Check all first so that a refused arrival is not counted in any window.
            var probe = state
            for window in windows where !probe.admit(window.key, limit: window.limit, window: window.window, now: now) {
                return false
            }
            state = probe
            return true
        }
    }

    func symbol(_ code: String) -> MockSymbol? { market.universe[code] }
}
