import BrokerCore
import BrokerWire
import Foundation
import MockMarket

/// Builds Kiwoom realtime messages from the simulated market (pure).
enum KiwoomMessageEncoder {
    /// One `0B` (주식체결) entry for trade `index`.
    static func tradeEntry(_ session: IntradaySession, index: Int) -> String {
        let price = session.prices[index]
        let base = session.previousClose
        let change = price - base
        let buy = session.buys[index]
        var values = JSONWriter.Object()
        values.add("20", KISFrameEncoder.hhmmss(Int(session.seconds[index])))
        values.add("10", MockBroker.signed(price, against: base))
        values.add("11", MockBroker.signedNumber(change))
        values.add("12", MockBroker.signedRate(MockBroker.rate(change, base)))
        values.add("27", MockBroker.signed(buy ? price : KRXPriceRules.tickUp(price), against: base))
        values.add("28", MockBroker.signed(buy ? KRXPriceRules.tickDown(price) : price, against: base))
        values.add("15", (buy ? "+" : "-") + String(session.volumes[index]))
        values.add("13", String(session.cumulativeVolume[index]))
        values.add("14", String(session.cumulativeValue[index] / 1_000_000))
        values.add("16", MockBroker.signed(session.prices[0], against: base))
        values.add("17", MockBroker.signed(session.runningHigh[index], against: base))
        values.add("18", MockBroker.signed(session.runningLow[index], against: base))
        values.add("25", MockBroker.signCode(change))
        values.add("228", "100.00")
        values.add("290", "2")
        values.add("9081", "1")
        return #"{"type":"0B","name":"주식체결","item":"\#(session.symbol)","values":\#(values.json)}"#
    }

    /// One `0D` (호가잔량) entry after trade `index`.
    static func orderBookEntry(_ session: IntradaySession, index: Int, seed: UInt64) -> String {
        let fields = KISFrameEncoder.orderBookFields(session, index: index, seed: seed)
        var values = JSONWriter.Object()
        values.add("21", fields[1])
        for level in 0..<10 {
            values.add(String(41 + level), fields[3 + level])
            values.add(String(61 + level), fields[23 + level])
            values.add(String(51 + level), fields[13 + level])
            values.add(String(71 + level), fields[33 + level])
        }
        values.add("121", fields[43])
        values.add("125", fields[44])
        return #"{"type":"0D","name":"주식호가잔량","item":"\#(session.symbol)","values":\#(values.json)}"#
    }

    static func real(_ entries: [String]) -> String {
        #"{"trnm":"REAL","data":["# + entries.joined(separator: ",") + "]}"
    }
}
