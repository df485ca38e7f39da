import BrokerCore
import Testing

@Suite("CandleInterval", .timeLimit(.minutes(5)))
struct CandleIntervalTests {
    @Test(arguments: ["1m", "5m", "1d", "1w", "1M", "1Y", "3t", "30m"])
    func roundTrips(text: String) throws {
        let interval = try #require(CandleInterval(text))
        #expect(interval.description == text)
    }

    @Test(arguments: ["", "d", "0d", "-1d", "1x", "1.5m"])
    func rejects(text: String) {
        #expect(CandleInterval(text) == nil)
    }

    @Test func distinguishesMinuteFromMonth() {
        #expect(CandleInterval("1m")?.unit == .minute)
        #expect(CandleInterval("1M")?.unit == .month)
    }
}
