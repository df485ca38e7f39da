import BrokerCore
import BrokerWire
import Realtime

/// The JSON form of a live event on `/v1/stream`: the event's `id` and `channel`, then the record as every other
/// route writes it (`RecordJSON`: `type` tick / orderbook, provider, symbol, …, `received_at`) or, for a system
/// notice, `type` `alert` with its kind, message, provider, symbol, time and `received_at`. Every member once.
enum StreamEventJSON {
    static func encode(_ event: RealtimeEvent) -> String {
        let record: String
        switch event.payload {
        case .tick(let tick): record = RecordJSON.encode(tick)
        case .orderBook(let book): record = RecordJSON.encode(book)
        case .alert(let alert):
            var object = JSONWriter.Object()
            object.add("type", "alert")
            object.add("kind", alert.kind)
            object.add("message", alert.message)
            object.add("provider", alert.provider?.rawValue ?? event.provider.rawValue)
            object.add("symbol", alert.symbol)
            object.add("at", KST.iso8601(alert.at))
            object.add("received_at", KST.iso8601(event.receivedAt))
            record = object.json
        }
        var head = JSONWriter.Object()
        head.add("id", event.id)
        head.add("channel", event.channel.rawValue)
        // Both are non-empty objects: "{id…,channel…}" + "{type…}" → "{id…,channel…,type…}".
        return String(head.json.dropLast()) + "," + String(record.dropFirst())
    }
}
