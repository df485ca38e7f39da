import BrokerCore
import Testing

@Suite("FixedDecimal", .timeLimit(.minutes(5)))
struct FixedDecimalTests {
    @Test(arguments: [
        ("-0.14", Int64(-14), UInt8(2)), ("0.00", 0, 2), ("+2.81", 281, 2), ("71990.50", 7_199_050, 2), ("12", 12, 0), ("-870", -870, 0),
    ])
    func parsesBrokerDecimals(text: String, mantissa: Int64, scale: UInt8) throws {
        let value = try #require(FixedDecimal(text))
        #expect(value.mantissa == mantissa)
        #expect(value.scale == scale)
    }

    @Test(arguments: ["", "-", "+", "1.2.3", "abc", "1e5", " 1", "1,000", "1234567890123456789"])
    func rejectsNonDecimals(text: String) {
        #expect(FixedDecimal(text) == nil)
    }

    @Test func printsExactly() {
        #expect(FixedDecimal("-0.14")!.description == "-0.14")
        #expect(FixedDecimal("0.05")!.description == "0.05")
        #expect(FixedDecimal("+2.81")!.description == "2.81")
        #expect(FixedDecimal("100")!.description == "100")
        #expect(FixedDecimal(mantissa: -5, scale: 3).description == "-0.005")
    }

    @Test func comparesAcrossScales() {
        #expect(FixedDecimal("1.50")! == FixedDecimal("1.5")!)
        #expect(FixedDecimal("1.50")!.hashValue == FixedDecimal("1.5")!.hashValue)
        #expect(FixedDecimal("-0.2")! < FixedDecimal("0.10")!)
        #expect(FixedDecimal("2.81")!.withSign(negative: true).description == "-2.81")
    }
}
