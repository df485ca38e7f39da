/// Realistic realtime frames for benchmarks: a seeded random walk over a few hundred symbols.
struct SyntheticFrames {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed | 1
    }

    private mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    private mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// One `H0STCNT0` record of 46 fields (unjoined).
    mutating func kisTradeRecord(symbolIndex: Int, second: Int) -> [String] {
        let base = 10_000 + symbolIndex * 100
        let price = base + below(200) * 10
        let previousClose = base + 1000
        let change = price - previousClose
        let sign = change > 0 ? "2" : (change < 0 ? "5" : "3")
        let volume = 1 + below(500)
        let time = String(format2(9 + second / 3600)) + format2((second / 60) % 60) + format2(second % 60)
        var fields = [String](repeating: "0", count: 46)
        fields[0] = String(format6(symbolIndex * 10 + 5930))
        fields[1] = time
        fields[2] = String(price)
        fields[3] = sign
        fields[4] = String(change)
        fields[5] = change < 0 ? "-1.23" : "0.87"
        fields[6] = "\(price).50"
        fields[7] = String(base + 500)
        fields[8] = String(base + 2000)
        fields[9] = String(base)
        fields[10] = String(price + 10)
        fields[11] = String(price)
        fields[12] = String(volume)
        fields[13] = String(3_052_507 + second * 10)
        fields[14] = String(219_853_241_700 + second * 1000)
        fields[21] = below(2) == 0 ? "1" : "5"
        fields[24] = "090020"
        fields[27] = "090820"
        fields[30] = "092619"
        fields[33] = "20250908"
        fields[34] = "20"
        fields[35] = "N"
        fields[44] = ""
        fields[45] = String(previousClose)
        return fields
    }

    /// `count` frames of `recordsPerFrame` records each.
    mutating func kisTradeFrames(count: Int, recordsPerFrame: Int) -> [String] {
        (0..<count).map { frame in
            let records = (0..<recordsPerFrame).map { record in
                kisTradeRecord(symbolIndex: (frame * recordsPerFrame + record) % 300, second: (frame + record) % 23_400).joined(separator: "^")
            }
            return "0|H0STCNT0|\(format3(recordsPerFrame))|" + records.joined(separator: "^")
        }
    }

    /// `count` Kiwoom `REAL` messages with one `0B` entry each: the 15 fields BrokerHub reads and a few more, or —
    /// `brokerSized` — every field the broker sends in a `0B` (40, about 900 bytes a message, as in the fixtures).
    mutating func kiwoomTradeMessages(count: Int, brokerSized: Bool = false) -> [String] {
        (0..<count).map { index in
            let price = 70_000 + below(100) * 100
            let second = index % 23_400
            let time = format2(9 + second / 3600) + format2((second / 60) % 60) + format2(second % 60)
            let volume = (below(2) == 0 ? "+" : "-") + String(1 + below(500))
            let extra = brokerSized
                ? #","26":"-8674059","29":"-843739113100","30":"-52.68","31":"0.16","311":"5771647","691":"0","567":"000000","568":"000000","1890":"090000","1891":"090330","1892":"102010","1030":"4972772","1031":"4270982","1032":"-46.20","1071":"47913","1072":"41287","1313":"-117292","1315":"\#(volume)","1316":" 0","1314":"\#(volume)","620":"98085""#
                : ""
            return #"{"trnm":"REAL","data":[{"type":"0B","name":"주식체결","item":"\#(format6(index % 300 * 10 + 5930))","values":{"20":"\#(time)","10":"-\#(price)","11":"-500","12":"-0.71","27":"-\#(price + 100)","28":"-\#(price)","15":"\#(volume)","13":"30379732","14":"632640","16":"70850","17":"+71150","18":"-69450","25":"5","228":"98.92","290":"2","9081":"1"\#(extra)}}]}"#
        }
    }

    private func format2(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
    private func format3(_ value: Int) -> String { String(repeating: "0", count: max(0, 3 - String(value).count)) + String(value) }
    private func format6(_ value: Int) -> String { String(repeating: "0", count: max(0, 6 - String(value).count)) + String(value) }
}
