import BrokerCore
import Testing

@Suite("KRX price rules", .timeLimit(.minutes(5)))
struct KRXPriceRulesTests {
    @Test(arguments: [
        (Int64(1_999), Int64(1)), (2_000, 5), (4_995, 5), (5_000, 10), (19_990, 10), (20_000, 50), (49_950, 50),
        (50_000, 100), (199_900, 100), (200_000, 500), (499_500, 500), (500_000, 1_000), (1_500_000, 1_000),
    ])
    func tickSizes(price: Int64, tick: Int64) {
        #expect(KRXPriceRules.tickSize(at: price) == tick)
    }

    @Test func rounding() {
        #expect(KRXPriceRules.round(71_949) == 71_900)
        #expect(KRXPriceRules.round(71_951) == 72_000)
        #expect(KRXPriceRules.roundUp(19_991) == 20_000)
        #expect(KRXPriceRules.roundDown(20_049) == 20_000)
        #expect(KRXPriceRules.isValid(72_000) && !KRXPriceRules.isValid(72_050))
        #expect(KRXPriceRules.tickUp(49_950) == 50_000)
        #expect(KRXPriceRules.tickDown(50_000) == 49_950)
    }

    @Test func dailyLimitsAreThirtyPercentOnTheGrid() {
        // 삼성전자 at 71,900: limits 93,400 / 50,400 (rounded inward to the tick grid).
        #expect(KRXPriceRules.upperLimit(previousClose: 71_900) == 93_400)
        #expect(KRXPriceRules.lowerLimit(previousClose: 71_900) == 50_400)
        #expect(KRXPriceRules.upperLimit(previousClose: 128_500) == 167_000)
        #expect(KRXPriceRules.lowerLimit(previousClose: 128_500) == 90_000)
    }
}
