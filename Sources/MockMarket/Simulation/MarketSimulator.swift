import BrokerCore
import Foundation
import Synchronization

/// The deterministic simulated market every mock surface reads from: REST candles, quotes and last trades
/// and WebSocket ticks all come from the same trades, so they agree exactly.
///
/// Everything is a pure function of the seed; results are cached (daily series per symbol, a bounded
/// number of intraday sessions).
public final class MarketSimulator: Sendable {
    public struct Configuration: Sendable {
        public var seed: UInt64
        public var universeSize: Int
        /// First day of simulated history.
        public var historyStart: KSTDate
        /// Last day the simulation covers.
        public var historyEnd: KSTDate
        public var haltProbability: Double
        public var calendar: KRXCalendar
        /// Intraday sessions kept in memory.
        public var sessionCacheSize: Int

        public init(
            seed: UInt64 = 20_250_908, universeSize: Int = 2_700,
            historyStart: KSTDate = KSTDate(year: 2020, month: 1, day: 2)!,
            historyEnd: KSTDate = KSTDate(year: 2027, month: 12, day: 30)!,
            haltProbability: Double = 0.002, calendar: KRXCalendar = KRXCalendar(), sessionCacheSize: Int = 512
        ) {
            self.seed = seed
            self.universeSize = universeSize
            self.historyStart = historyStart
            self.historyEnd = historyEnd
            self.haltProbability = haltProbability
            self.calendar = calendar
            self.sessionCacheSize = sessionCacheSize
        }
    }

    public let configuration: Configuration
    public let universe: MockUniverse
    /// Trading days from `historyStart` through `historyEnd`, ascending.
    public let tradingDays: [KSTDate]
    private let dayIndex: [KSTDate: Int]
    private let dailyCache = Mutex<[String: DailySeries]>([:])
    private let sessionCache: Mutex<SessionCache>

    public init(_ configuration: Configuration = Configuration()) {
        self.configuration = configuration
        universe = MockUniverse(seed: configuration.seed, count: configuration.universeSize)
        tradingDays = configuration.calendar.tradingDays(from: configuration.historyStart, through: configuration.historyEnd)
        dayIndex = Dictionary(uniqueKeysWithValues: tradingDays.enumerated().map { ($1, $0) })
        sessionCache = Mutex(SessionCache(capacity: configuration.sessionCacheSize))
    }

    public var calendar: KRXCalendar { configuration.calendar }

    /// The index of a trading day in `tradingDays`, nil for closed days and days outside the history.
    public func index(of day: KSTDate) -> Int? { dayIndex[day] }

    /// The last trading day at or before `date` within the history.
    public func sessionDay(onOrBefore date: KSTDate) -> KSTDate? {
        if dayIndex[date] != nil { return date }
        var low = 0, high = tradingDays.count
        while low < high {
            let middle = (low + high) / 2
            if tradingDays[middle] <= date { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : tradingDays[low - 1]
    }

    public func daily(_ symbol: MockSymbol) -> DailySeries {
        if let cached = dailyCache.withLock({ $0[symbol.code] }) { return cached }
        let series = DailySeries(symbol: symbol, days: tradingDays, seed: configuration.seed, haltProbability: configuration.haltProbability)
        dailyCache.withLock { $0[symbol.code] = series }
        return series
    }

    /// All trades of `symbol` on `day`; nil when the market was closed or the day is outside the history.
    public func session(_ symbol: MockSymbol, on day: KSTDate) -> IntradaySession? {
        guard let index = dayIndex[day] else { return nil }
        let key = "\(symbol.code)@\(day.daysSinceEpoch)"
        if let cached = sessionCache.withLock({ $0.get(key) }) { return cached }
        let series = daily(symbol)
        let bar = IntradaySession.Bar(
            open: series.opens[index], high: series.highs[index], low: series.lows[index], close: series.closes[index],
            volume: series.volumes[index], count: series.tradeCounts[index]
        )
        let session = IntradaySession(
            symbol: symbol, date: day, bar: bar, previousClose: series.previousClose(index), halted: series.halted[index], seed: configuration.seed
        )
        sessionCache.withLock { $0.put(key, session) }
        return session
    }

    /// The symbol's state at simulated time `instant`.
    public func snapshot(_ symbol: MockSymbol, at instant: Date) -> SymbolSnapshot? {
        let date = KSTDate(instant)
        guard let day = sessionDay(onOrBefore: date), let session = session(symbol, on: day) else { return nil }
        let count = day < date ? session.tradeCount : session.tradeCount(through: KST.secondOfDay(instant))
        return snapshot(session, symbol: symbol, tradeCount: count)
    }

    /// The state after the first `tradeCount` trades of a session.
    public func snapshot(_ session: IntradaySession, symbol: MockSymbol, tradeCount count: Int) -> SymbolSnapshot {
        let last = count - 1
        return SymbolSnapshot(
            symbol: symbol, date: session.date, tradeCount: count,
            price: count > 0 ? session.prices[last] : session.previousClose,
            open: count > 0 ? session.prices[0] : 0,
            high: count > 0 ? session.runningHigh[last] : 0,
            low: count > 0 ? session.runningLow[last] : 0,
            volume: count > 0 ? session.cumulativeVolume[last] : 0,
            value: count > 0 ? session.cumulativeValue[last] : 0,
            previousClose: session.previousClose, upperLimit: session.upperLimit, lowerLimit: session.lowerLimit,
            halted: session.halted,
            lastTradeSecond: count > 0 ? Int(session.seconds[last]) : nil,
            lastVolume: count > 0 ? Int64(session.volumes[last]) : 0
        )
    }
}

/// A small least-recently-used cache of intraday sessions.
struct SessionCache {
    let capacity: Int
    private var entries: [String: (session: IntradaySession, used: UInt64)] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    mutating func get(_ key: String) -> IntradaySession? {
        guard let entry = entries[key] else { return nil }
        clock += 1
        entries[key] = (entry.session, clock)
        return entry.session
    }

    mutating func put(_ key: String, _ session: IntradaySession) {
        clock += 1
        entries[key] = (session, clock)
        if entries.count > capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used })?.key {
            entries.removeValue(forKey: oldest)
        }
    }
}
