/// Any normalised market-data record.
public enum MarketRecord: Sendable, Hashable {
    case candle(Candle)
    case quote(Quote)
    case tick(Tick)
    case orderBook(OrderBook)

    public var symbol: String {
        switch self {
        case .candle(let value): value.symbol
        case .quote(let value): value.symbol
        case .tick(let value): value.symbol
        case .orderBook(let value): value.symbol
        }
    }

    public var provider: Provider {
        switch self {
        case .candle(let value): value.provider
        case .quote(let value): value.provider
        case .tick(let value): value.provider
        case .orderBook(let value): value.provider
        }
    }

    public var sourceType: SourceType {
        switch self {
        case .candle(let value): value.sourceType
        case .quote(let value): value.sourceType
        case .tick(let value): value.sourceType
        case .orderBook(let value): value.sourceType
        }
    }
}
