import BrokerCore
import Foundation

/// The JSON form of records, one compact object each (the CLI's output and the HTTP API's records).
public enum RecordJSON {
    public static func encode(_ record: MarketRecord) -> String {
        switch record {
        case .candle(let candle): encode(candle)
        case .quote(let quote): encode(quote)
        case .tick(let tick): encode(tick)
        case .orderBook(let book): encode(book)
        }
    }

    public static func encode(_ candle: Candle) -> String {
        var object = JSONWriter.Object()
        object.add("type", "candle")
        object.add("provider", candle.provider.rawValue)
        object.add("symbol", candle.symbol)
        object.add("interval", candle.interval.description)
        object.add("start", KST.iso8601(candle.start))
        object.add("open", candle.open)
        object.add("high", candle.high)
        object.add("low", candle.low)
        object.add("close", candle.close)
        object.add("volume", candle.volume)
        object.add("trading_value", candle.tradingValue)
        object.add("halted", candle.halted)
        object.add("source_type", candle.sourceType.rawValue)
        object.add("received_at", candle.receivedAt.map(KST.iso8601))
        return object.json
    }

    public static func encode(_ quote: Quote) -> String {
        var object = JSONWriter.Object()
        object.add("type", "quote")
        object.add("provider", quote.provider.rawValue)
        object.add("symbol", quote.symbol)
        object.add("name", quote.name)
        object.add("time", KST.iso8601(quote.time))
        object.add("price", quote.price)
        object.add("change", quote.change)
        object.add("change_rate", number: quote.changeRate.description)
        object.add("open", quote.open)
        object.add("high", quote.high)
        object.add("low", quote.low)
        object.add("volume", quote.volume)
        object.add("trading_value", quote.tradingValue)
        object.add("previous_close", quote.previousClose)
        object.add("upper_limit", quote.upperLimit)
        object.add("lower_limit", quote.lowerLimit)
        object.add("ask_price", quote.askPrice)
        object.add("bid_price", quote.bidPrice)
        object.add("ask_size", quote.askSize)
        object.add("bid_size", quote.bidSize)
        object.add("listed_shares", quote.listedShares)
        object.add("halted", quote.halted)
        object.add("warning", quote.warning)
        object.add("source_type", quote.sourceType.rawValue)
        object.add("received_at", quote.receivedAt.map(KST.iso8601))
        return object.json
    }

    public static func encode(_ tick: Tick) -> String {
        var object = JSONWriter.Object()
        object.add("type", "tick")
        object.add("provider", tick.provider.rawValue)
        object.add("symbol", tick.symbol)
        object.add("time", KST.iso8601(tick.time))
        object.add("price", tick.price)
        object.add("volume", tick.volume)
        object.add("side", tick.side.rawValue)
        object.add("change", tick.change)
        object.add("change_rate", number: tick.changeRate.description)
        object.add("cum_volume", tick.cumVolume)
        object.add("cum_value", tick.cumValue)
        object.add("open", tick.open)
        object.add("high", tick.high)
        object.add("low", tick.low)
        object.add("ask_price", tick.askPrice)
        object.add("bid_price", tick.bidPrice)
        object.add("market_cls_code", tick.marketClass)
        object.add("source_type", tick.sourceType.rawValue)
        object.add("received_at", tick.receivedAt.map(KST.iso8601))
        return object.json
    }

    public static func encode(_ book: OrderBook) -> String {
        func levels(_ levels: [PriceLevel]) -> String {
            "[" + levels.map { "[\($0.price),\($0.quantity)]" }.joined(separator: ",") + "]"
        }
        var object = JSONWriter.Object()
        object.add("type", "orderbook")
        object.add("provider", book.provider.rawValue)
        object.add("symbol", book.symbol)
        object.add("time", KST.iso8601(book.time))
        object.add("asks", raw: levels(book.asks))
        object.add("bids", raw: levels(book.bids))
        object.add("total_ask_qty", book.totalAskQuantity)
        object.add("total_bid_qty", book.totalBidQuantity)
        object.add("source_type", book.sourceType.rawValue)
        object.add("received_at", book.receivedAt.map(KST.iso8601))
        return object.json
    }
}
