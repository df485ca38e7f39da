import BrokerCore
import Foundation
import NIOCore
import Testing
@testable import HubServer

/// `/v1/candles` bodies are reused only for equal answers: the same candles, pages and range.
@Suite("Rendered candles")
struct RenderedCandlesTests {
    static let day = KSTDate(year: 2025, month: 6, day: 2)!

    func candles(close: Int64) -> [Candle] {
        (0..<3).map { offset in
            Candle(
                provider: .kis, symbol: "005930", interval: CandleInterval("1d")!, start: KST.instant(Self.day.adding(days: offset), hour: 0, minute: 0, second: 0),
                open: 70_000, high: 71_000, low: 69_000, close: close + Int64(offset), volume: 1_000, sourceType: .restCandle
            )
        }
    }

    func key(symbol: String = "005930") -> RenderedCandles.Key {
        RenderedCandles.Key(provider: .kis, symbol: symbol, interval: "1d", from: Self.day, to: Self.day.adding(days: 2))
    }

    @Test func reusesTheBodyForEqualCandlesOnly() {
        let rendered = RenderedCandles()
        var renders = 0
        func body(_ candles: [Candle], pages: Int = 1, key: RenderedCandles.Key? = nil) -> String {
            let buffer = rendered.body(for: key ?? self.key(), candles: candles, pages: pages) {
                renders += 1
                return "render \(renders)"
            }
            return String(buffer: buffer)
        }
        #expect(body(candles(close: 70_500)) == "render 1")
        #expect(body(candles(close: 70_500)) == "render 1") // a cache hit hands back equal candles
        #expect(body(candles(close: 70_600)) == "render 2") // a changed candle is rendered anew
        #expect(body(candles(close: 70_600), pages: 2) == "render 3") // as is another page count
        #expect(body(candles(close: 70_600), key: key(symbol: "000660")) == "render 4")
        #expect(body(candles(close: 70_600), pages: 2) == "render 3")
        #expect(renders == 4)
    }

    @Test func keepsAtMostItsCapacity() {
        let rendered = RenderedCandles(capacity: 4)
        for index in 0..<10 {
            _ = rendered.body(for: key(symbol: String(format: "%06d", index)), candles: candles(close: 1), pages: 1) { "x" }
        }
        #expect(rendered.count == 4)
    }
}
