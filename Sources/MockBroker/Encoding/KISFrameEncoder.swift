import BrokerCore
import BrokerWire
import Foundation
import MockMarket

/// Builds KIS realtime frames from the simulated market (pure): `H0STCNT0` trade records (46 or 47 fields),
/// `H0STASP0` order books (59 fields), control messages.
enum KISFrameEncoder {
    /// The fields of trade `index` of a session for `trID`: the 46 of the layout, then — when `fields` is 47 —
    /// `MARKET_CLS_CODE`. The mock sends the market's division code there (`J` KRX, `NX` NXT, `UN` combined);
    /// the sheet names the field, not its values.
    static func tradeFields(_ session: IntradaySession, index: Int, trID: String = "H0STCNT0", fields width: Int = 47) -> [String] {
        let price = session.prices[index]
        let change = price - session.previousClose
        let volume = Int64(session.volumes[index])
        let buy = session.buys[index]
        let sign = change > 0 ? (price == session.upperLimit ? "1" : "2") : (change < 0 ? (price == session.lowerLimit ? "4" : "5") : "3")
        let cumulativeVolume = session.cumulativeVolume[index]
        let cumulativeValue = session.cumulativeValue[index]
        let open = session.prices[0]
        var fields = [String](repeating: "0", count: 46)
        fields[0] = session.symbol
        fields[1] = hhmmss(Int(session.seconds[index]))
        fields[2] = String(price)
        fields[3] = sign
        fields[4] = String(change)
        fields[5] = rate(change, session.previousClose)
        fields[6] = hundredths(cumulativeValue * 100 / max(cumulativeVolume, 1))
        fields[7] = String(open)
        fields[8] = String(session.runningHigh[index])
        fields[9] = String(session.runningLow[index])
        fields[10] = String(buy ? price : KRXPriceRules.tickUp(price))
        fields[11] = String(buy ? KRXPriceRules.tickDown(price) : price)
        fields[12] = String(volume)
        fields[13] = String(cumulativeVolume)
        fields[14] = String(cumulativeValue)
        fields[15] = String(index / 2 + 1)
        fields[16] = String((index + 1) / 2)
        fields[17] = String((index + 1) / 2 - (index / 2 + 1))
        fields[18] = "100.00"
        fields[19] = String(cumulativeVolume / 2)
        fields[20] = String(cumulativeVolume - cumulativeVolume / 2)
        fields[21] = buy ? "1" : "5"
        fields[22] = "50.00"
        fields[23] = "0.00"
        fields[24] = hhmmss(Int(session.seconds[0]))
        fields[25] = price >= open ? "2" : "5"
        fields[26] = String(price - open)
        fields[27] = hhmmss(Int(session.seconds[index]))
        fields[28] = "5"
        fields[29] = String(price - session.runningHigh[index])
        fields[30] = hhmmss(Int(session.seconds[index]))
        fields[31] = "2"
        fields[32] = String(price - session.runningLow[index])
        fields[33] = session.date.compact
        fields[34] = "20"
        fields[35] = session.halted ? "Y" : "N"
        fields[36] = String(100 + (index * 37) % 5_000)
        fields[37] = String(100 + (index * 53) % 5_000)
        fields[38] = String(50_000 + (index * 101) % 50_000)
        fields[39] = String(50_000 + (index * 97) % 50_000)
        fields[40] = "0.05"
        fields[41] = String(cumulativeVolume)
        fields[42] = "100.00"
        fields[43] = "0"
        fields[44] = ""
        fields[45] = String(session.previousClose)
        if width > 46 { fields.append(marketClass(trID)) }
        return fields
    }

    static func marketClass(_ trID: String) -> String {
        trID.hasPrefix("H0NX") ? "NX" : (trID.hasPrefix("H0UN") ? "UN" : "J")
    }

    /// The 59 fields of the order book after trade `index` (10 levels around the last price).
    static func orderBookFields(_ session: IntradaySession, index: Int, seed: UInt64) -> [String] {
        let price = session.prices[index]
        let buy = session.buys[index]
        var ask = buy ? price : KRXPriceRules.tickUp(price)
        var bid = buy ? KRXPriceRules.tickDown(price) : price
        var asks: [Int64] = [], bids: [Int64] = []
        for _ in 0..<10 {
            asks.append(min(ask, session.upperLimit))
            bids.append(max(bid, session.lowerLimit))
            ask = KRXPriceRules.tickUp(ask)
            bid = KRXPriceRules.tickDown(bid)
        }
        let key = SeededRandom.hash(seed, UInt64(index), UInt64(session.date.daysSinceEpoch))
        let askQuantities = (0..<10).map { Int64(10 + SeededRandom.mix(key ^ UInt64($0)) % 5_000) }
        let bidQuantities = (0..<10).map { Int64(10 + SeededRandom.mix(key ^ UInt64($0 + 10)) % 5_000) }
        var fields = [session.symbol, hhmmss(Int(session.seconds[index])), "0"]
        fields += asks.map(String.init)
        fields += bids.map(String.init)
        fields += askQuantities.map(String.init)
        fields += bidQuantities.map(String.init)
        fields += [
            String(askQuantities.reduce(0, +)), String(bidQuantities.reduce(0, +)), "0", "0", "0", "0", "0",
            String(-session.previousClose), "5", "-100.00", String(session.cumulativeVolume[index]), "0", "0", "0", "0", "0",
        ]
        return fields
    }

    /// `0|<trID>|<count>|<records joined by ^>`.
    static func dataFrame(trID: String, records: [[String]]) -> String {
        let count = String(records.count)
        return "0|\(trID)|\(String(repeating: "0", count: max(0, 3 - count.count)) + count)|" + records.map { $0.joined(separator: "^") }.joined(separator: "^")
    }

    static func pingPong(at instant: Date) -> String { RealtimeControlText.kisPingPong(at: instant) }

    /// A subscription acknowledgement; `keyAndIV` only on successful subscribes.
    static func ack(trID: String, trKey: String, returnCode: String, code: String, message: String, keyAndIV: (String, String)? = nil) -> String {
        RealtimeControlText.kisAck(trID: trID, trKey: trKey, returnCode: returnCode, code: code, message: message, keyAndIV: keyAndIV)
    }

    static func escape(_ text: String) -> String { RealtimeControlText.plain(text) }

    static func hhmmss(_ second: Int) -> String { KST.clock(second, separator: "") }

    static func hundredths(_ value: Int64) -> String { FixedDecimal(mantissa: value, scale: 2).description }

    static func rate(_ change: Int64, _ base: Int64) -> String { MockBroker.rate(change, base).description }
}
