import BrokerCore
import Foundation
import MockMarket
import Testing

@Suite("Simulated market", .timeLimit(.minutes(5)))
struct MarketSimulatorTests {
    static let simulator = MarketSimulator(.init(seed: 7, universeSize: 300))
    static let day = KSTDate(year: 2025, month: 9, day: 8)!

    @Test func universeHasWellKnownAndUniqueSymbols() throws {
        let universe = MockUniverse(seed: 1)
        #expect(universe.count == 2_700)
        #expect(universe["005930"]?.name == "삼성전자")
        #expect(universe["000660"]?.name == "SK하이닉스")
        #expect(Set(universe.symbols.map(\.code)).count == universe.count)
        #expect(universe.symbols.allSatisfy { $0.code.count == 6 && $0.code.allSatisfy(\.isNumber) })
        #expect(universe.symbols.allSatisfy { KRXPriceRules.isValid($0.basePrice) })
    }

    @Test func sameSeedSameMarketOtherSeedOtherMarket() throws {
        let again = MarketSimulator(.init(seed: 7, universeSize: 300))
        let other = MarketSimulator(.init(seed: 8, universeSize: 300))
        let symbol = try #require(Self.simulator.universe["005930"])
        let first = try #require(Self.simulator.session(symbol, on: Self.day))
        let second = try #require(again.session(symbol, on: Self.day))
        #expect(first.prices == second.prices)
        #expect(first.seconds == second.seconds)
        #expect(Self.simulator.universe.symbols.map(\.code) == again.universe.symbols.map(\.code))
        let otherSymbol = try #require(other.universe["005930"])
        let third = try #require(other.session(otherSymbol, on: Self.day))
        #expect(first.prices != third.prices)
    }

    @Test func everyTradeRespectsTickSizeAndDailyLimit() throws {
        for symbol in Self.simulator.universe.symbols.prefix(40) {
            for day in Self.simulator.tradingDays.suffix(600).prefix(5) {
                let session = try #require(Self.simulator.session(symbol, on: day))
                for price in session.prices {
                    #expect(KRXPriceRules.isValid(price), "\(symbol.code) \(day) price \(price)")
                    #expect(price <= session.upperLimit && price >= session.lowerLimit)
                }
                #expect(zip(session.seconds, session.seconds.dropFirst()).allSatisfy { $0 <= $1 })
                #expect(session.seconds.allSatisfy { $0 >= 9 * 3600 && $0 < 15 * 3600 + 30 * 60 })
                // The trades reproduce the daily bar, computed without them, exactly.
                let bar = try #require(Self.simulator.dailyBar(symbol, on: day))
                #expect(bar.volume == session.cumulativeVolume.last ?? 0, "\(symbol.code) \(day) volume")
                #expect(bar.halted || (bar.high == session.prices.max() && bar.low == session.prices.min()), "\(symbol.code) \(day) range")
                #expect(bar.halted || (bar.open == session.prices.first && bar.close == session.prices.last))
            }
        }
    }

    @Test func dailyBarsAgreeWithTradesAndMinuteBars() throws {
        let symbol = try #require(Self.simulator.universe["000660"])
        let session = try #require(Self.simulator.session(symbol, on: Self.day))
        let daily = try #require(Self.simulator.dailyBar(symbol, on: Self.day))
        #expect(daily.open == session.prices.first)
        #expect(daily.close == session.prices.last)
        #expect(daily.high == session.prices.max())
        #expect(daily.low == session.prices.min())
        #expect(daily.volume == session.volumes.reduce(0) { $0 + Int64($1) })
        let minutes = Self.simulator.minuteBars(symbol, on: Self.day, through: 16 * 3600)
        #expect(minutes.count == 390)
        #expect(minutes.reduce(0) { $0 + $1.volume } == daily.volume)
        #expect(minutes.map(\.high).max() == daily.high)
        // The next day opens from this day's close.
        let next = Self.simulator.calendar.nextTradingDay(after: Self.day)
        #expect(Self.simulator.session(symbol, on: next)?.previousClose == daily.close)
    }

    @Test func snapshotFollowsTheClock() throws {
        let symbol = try #require(Self.simulator.universe["005930"])
        let morning = KST.instant(Self.day, hour: 8, minute: 0, second: 0)
        let before = try #require(Self.simulator.snapshot(symbol, at: morning))
        #expect(before.tradeCount == 0)
        #expect(before.price == before.previousClose)
        let noon = try #require(Self.simulator.snapshot(symbol, at: KST.instant(Self.day, hour: 12, minute: 0, second: 0)))
        let close = try #require(Self.simulator.snapshot(symbol, at: KST.instant(Self.day, hour: 16, minute: 0, second: 0)))
        #expect(noon.tradeCount > 0 && noon.tradeCount < close.tradeCount)
        #expect(noon.volume < close.volume)
        let daily = try #require(Self.simulator.dailyBar(symbol, on: Self.day))
        #expect(close.price == daily.close && close.volume == daily.volume && close.high == daily.high)
        // A Sunday shows Friday's session.
        let sunday = try #require(Self.simulator.snapshot(symbol, at: KST.instant(KSTDate(year: 2025, month: 9, day: 7)!, hour: 12, minute: 0, second: 0)))
        #expect(sunday.date == KSTDate(year: 2025, month: 9, day: 5))
    }

    @Test func haltDaysHaveNoTradesAndKeepTheClose() throws {
        let simulator = MarketSimulator(.init(seed: 3, universeSize: 40, haltProbability: 0.05))
        var found = false
        for symbol in simulator.universe.symbols {
            let series = simulator.daily(symbol)
            guard let index = series.halted.firstIndex(of: true), index > 0 else { continue }
            let day = simulator.tradingDays[index]
            let bar = try #require(simulator.dailyBar(symbol, on: day))
            #expect(bar.halted && bar.volume == 0)
            #expect(bar.open == series.closes[index - 1] && bar.close == series.closes[index - 1])
            found = true
            break
        }
        #expect(found)
    }

    @Test func periodBarsAggregateDays() throws {
        let symbol = try #require(Self.simulator.universe["035420"])
        let instant = KST.instant(KSTDate(year: 2025, month: 10, day: 31)!, hour: 16, minute: 0, second: 0)
        let days = Self.simulator.dailyBars(symbol, from: KSTDate(year: 2025, month: 9, day: 1)!, through: KSTDate(year: 2025, month: 9, day: 30)!, asOf: instant)
        let months = Self.simulator.periodBars(symbol, unit: .month, from: KSTDate(year: 2025, month: 9, day: 1)!, through: KSTDate(year: 2025, month: 9, day: 30)!, asOf: instant)
        #expect(months.count == 1)
        #expect(months[0].volume == days.reduce(0) { $0 + $1.volume })
        #expect(months[0].open == days.first?.open && months[0].close == days.last?.close)
        let weeks = Self.simulator.periodBars(symbol, unit: .week, from: KSTDate(year: 2025, month: 9, day: 1)!, through: KSTDate(year: 2025, month: 9, day: 30)!, asOf: instant)
        #expect(weeks.count == 5)
    }

    @Test func heldOpenClockRunsThroughSessionsOnly() {
        let calendar = KRXCalendar()
        let friday = KSTDate(year: 2025, month: 9, day: 5)!
        let wall = Date(timeIntervalSince1970: 1_000_000)
        let clock = MarketClock(start: KST.instant(friday, hour: 15, minute: 29, second: 0), speed: 60, alwaysOpen: true, calendar: calendar, wallStart: wall)
        // Two wall seconds at 60× is two simulated minutes: past Friday's close into Monday's open.
        let later = clock.simulated(at: wall.addingTimeInterval(2))
        #expect(KST.iso8601(later) == "2025-09-08T09:01:00+09:00")
        // Outside a session, a held-open clock starts at the last session's 10:00.
        let night = MarketClock(start: KST.instant(KSTDate(year: 2025, month: 9, day: 6)!, hour: 22, minute: 0, second: 0), alwaysOpen: true, calendar: calendar, wallStart: wall)
        #expect(KST.iso8601(night.simulated(at: wall)) == "2025-09-05T10:00:00+09:00")
        let real = MarketClock(start: wall, calendar: calendar, wallStart: wall)
        #expect(real.simulated(at: wall.addingTimeInterval(5)) == wall.addingTimeInterval(5))
    }
}
