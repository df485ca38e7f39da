import BrokerCore
import BrokerWire

/// The archive's line format: one compact JSON object per snapshot or rejection (snake_case keys, KST times,
/// integer KRW, exact decimals). See docs/snapshots.md.
public enum SnapshotJSON {
    public static func encode(_ snapshot: ObservationSnapshot) -> String {
        var object = JSONWriter.Object()
        object.add("type", "snapshot")
        object.add("provider", snapshot.provider.rawValue)
        object.add("tr_id", snapshot.transaction)
        object.add("symbol", snapshot.symbol)
        object.add("name", snapshot.name)
        object.add("mode", snapshot.mode.rawValue)
        object.add("cycle", Int64(snapshot.cycle))
        object.add("exchange_time", KST.iso8601(snapshot.exchangeTime))
        object.add("received_at", KST.iso8601(snapshot.receivedAt))
        object.add("price", snapshot.price)
        object.add("change", snapshot.change)
        object.add("change_rate", number: snapshot.changeRate.description)
        object.add("open", snapshot.open)
        object.add("high", snapshot.high)
        object.add("low", snapshot.low)
        object.add("volume", snapshot.volume)
        object.add("trading_value", snapshot.tradingValue)
        object.add("previous_close", snapshot.previousClose)
        object.add("ask_price", snapshot.askPrice)
        object.add("ask_size", snapshot.askSize)
        object.add("bid_price", snapshot.bidPrice)
        object.add("bid_size", snapshot.bidSize)
        object.add("upper_limit", snapshot.upperLimit)
        object.add("lower_limit", snapshot.lowerLimit)
        object.add("listed_shares", snapshot.listedShares)
        object.add("halted", snapshot.halted)
        object.add("warning", snapshot.warning)
        object.add("source_type", snapshot.sourceType.rawValue)
        if let derived = snapshot.derived {
            var fields = JSONWriter.Object()
            fields.add("spread", derived.spread)
            if let mid = derived.mid { fields.add("mid", number: mid.description) }
            fields.add("change_since_previous", derived.changeSincePrevious)
            fields.add("volume_since_previous", derived.volumeSincePrevious)
            if let position = derived.rangePosition { fields.add("range_position", number: position.description) }
            if let turnover = derived.turnoverRate { fields.add("turnover_rate", number: turnover.description) }
            object.add("derived", raw: fields.json)
        }
        return object.json
    }

    public static func encode(_ rejection: SnapshotRejection) -> String {
        var object = JSONWriter.Object()
        object.add("type", "rejection")
        object.add("reason", rejection.reason.rawValue)
        object.add("provider", rejection.provider.rawValue)
        object.add("symbol", rejection.symbol)
        object.add("detail", rejection.detail)
        object.add("mode", rejection.mode.rawValue)
        object.add("cycle", Int64(rejection.cycle))
        object.add("received_at", KST.iso8601(rejection.at))
        if let snapshot = rejection.snapshot { object.add("snapshot", raw: encode(snapshot)) }
        return object.json
    }
}
