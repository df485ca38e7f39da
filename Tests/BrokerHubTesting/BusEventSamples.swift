import BrokerCore
import Foundation
import Realtime

/// Realtime events for the bus tests: every payload kind, every optional field both nil and set.
public enum BusEventSamples {
    public static let time = Date(timeIntervalSince1970: 1_763_686_800.123_456)

    public static func tick(
        id: String = "run1-1", provider: Provider = .kis, symbol: String = "005930", price: Int64 = 71_200,
        optionalsSet: Bool = true
    ) -> RealtimeEvent {
        let value: (Int64) -> Int64? = { optionalsSet ? $0 : nil }
        let tick = Tick(
            provider: provider, symbol: symbol, time: time, receivedAt: optionalsSet ? time.addingTimeInterval(0.004) : nil,
            price: price, volume: 17, side: .buy, change: -300, changeRate: FixedDecimal(mantissa: -42, scale: 2),
            cumVolume: value(1_234_567), cumValue: value(87_654_321_000), open: value(71_000), high: value(71_900),
            low: value(70_800), askPrice: value(71_300), bidPrice: value(71_200), marketClass: optionalsSet ? "J" : nil,
            sourceType: .realtime
        )
        return RealtimeEvent(id: id, channel: .ticker, provider: provider, symbol: symbol, receivedAt: time, payload: .tick(tick))
    }

    public static func orderBook(id: String = "run1-2", provider: Provider = .kiwoom, symbol: String = "000660", levels: Int = OrderBook.depth, receivedAt: Date? = time) -> RealtimeEvent {
        let asks = (0..<levels).map { PriceLevel(price: 180_000 + Int64($0) * 100, quantity: Int64(100 + $0)) }
        let bids = (0..<levels).map { PriceLevel(price: 179_900 - Int64($0) * 100, quantity: Int64(200 + $0)) }
        let book = OrderBook(
            provider: provider, symbol: symbol, time: time, receivedAt: receivedAt, asks: asks, bids: bids,
            totalAskQuantity: 1_450, totalBidQuantity: 2_450, sourceType: .realtime
        )
        return RealtimeEvent(id: id, channel: .orderbook, provider: provider, symbol: symbol, receivedAt: time, payload: .orderBook(book))
    }

    public static func alert(id: String = "run1-3", provider: Provider? = .kis, symbol: String? = "005930") -> RealtimeEvent {
        let alert = RealtimeAlert(kind: "subscription.refused", message: "OPSP0008 최대 구독 초과", provider: provider, symbol: symbol, at: time)
        return RealtimeEvent(id: id, channel: .system, provider: provider ?? .kis, symbol: alert.kind, receivedAt: time, payload: .alert(alert))
    }

    /// A mix of ticks, order books and alerts over a few symbols, ids `{run}-{n}`.
    public static func mixed(count: Int, run: String = "run1", providers: [Provider] = [.kis, .kiwoom]) -> [RealtimeEvent] {
        let symbols = ["005930", "000660", "035420"]
        return (0..<count).map { n in
            let id = "\(run)-\(n)"
            let provider = providers[n % providers.count]
            let symbol = symbols[n % symbols.count]
            switch n % 10 {
            case 9: return alert(id: id, provider: provider, symbol: symbol)
            case 4, 7: return orderBook(id: id, provider: provider, symbol: symbol)
            default: return tick(id: id, provider: provider, symbol: symbol, price: 70_000 + Int64(n % 500))
            }
        }
    }
}
