import BrokerCore
import BrokerWire
import Collector
import Realtime

/// Which clients an upstream frame is for (pure): the registration it belongs to, read from as little of the
/// frame as needed. KIS data frames (`0|TR|NNN|SYMBOL^…`) go out verbatim; a Kiwoom `REAL` message goes out
/// verbatim when all its entries belong to one registration, else split into one `REAL` per registration.
/// Control frames (acks, heartbeats, `SYSTEM`, encrypted notices) are the upstream session's own: not routed.
enum UpstreamRoute {
    /// The KIS trade and order-book TRs and the channel each carries.
    static let kisChannels: [Substring: RealtimeChannel] = [
        "H0STCNT0": .ticker, "H0NXCNT0": .ticker, "H0UNCNT0": .ticker,
        "H0STASP0": .orderbook, "H0NXASP0": .orderbook, "H0UNASP0": .orderbook,
    ]

    /// Kiwoom's realtime types and their channels.
    static let kiwoomChannels: [String: RealtimeChannel] = ["0B": .ticker, "0D": .orderbook]

    /// The registration of a plain KIS data frame, or nil for anything else. The records of one frame share
    /// their `tr_key`, so the first record's symbol names the frame's.
    static func kis(_ frame: String) -> SubscriptionKey? {
        var utf8 = Substring(frame).utf8
        guard utf8.first == UInt8(ascii: "0") else { return nil }
        var parts: [Substring] = []
        var start = utf8.startIndex
        var index = utf8.startIndex
        while index < utf8.endIndex, parts.count < 3 {
            if utf8[index] == UInt8(ascii: "|") {
                parts.append(Substring(utf8[start..<index]))
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        guard parts.count == 3, let channel = kisChannels[parts[1]] else { return nil }
        utf8 = utf8[start...]
        let end = utf8.firstIndex(of: UInt8(ascii: "^")) ?? utf8.endIndex
        let symbol = Substring(utf8[utf8.startIndex..<end])
        guard !symbol.isEmpty else { return nil }
        return SubscriptionKey(channel, String(symbol))
    }

    /// A Kiwoom `REAL` message cut by registration, in the order of its entries: the whole text when every
    /// entry has the same one, else one `REAL` message per registration. Empty for anything else.
    static func kiwoom(_ message: String) -> [(key: SubscriptionKey, text: String)] {
        guard message.utf8.count > 10, message.contains("\"REAL\""),
              let json = try? JSONParser.parse(message), json["trnm"]?.stringValue == "REAL",
              let entries = json["data"]?.arrayValue
        else { return [] }
        var order: [SubscriptionKey] = []
        var grouped: [SubscriptionKey: [JSONValue]] = [:]
        for entry in entries {
            guard let type = entry["type"]?.stringValue, let channel = kiwoomChannels[type], let item = entry["item"]?.stringValue else { continue }
            let key = SubscriptionKey(channel, item)
            if grouped[key] == nil { order.append(key) }
            grouped[key, default: []].append(entry)
        }
        if order.count == 1, grouped[order[0]]?.count == entries.count { return [(order[0], message)] }
        return order.map { key in
            (key, JSONWriter.serialize(.object(["trnm": .string("REAL"), "data": .array(grouped[key] ?? [])])))
        }
    }
}
