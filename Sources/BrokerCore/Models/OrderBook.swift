import Foundation

/// One price level of an order book.
public struct PriceLevel: Sendable, Hashable {
    public var price: Int64
    public var quantity: Int64

    public init(price: Int64, quantity: Int64) {
        self.price = price
        self.quantity = quantity
    }
}

/// A 10-level order book (호가). Level 0 is the best price on each side.
public struct OrderBook: Sendable, Hashable {
    public static let depth = 10

    public var provider: Provider
    public var symbol: String
    public var time: Date
    public var receivedAt: Date?
    public var asks: [PriceLevel]
    public var bids: [PriceLevel]
    public var totalAskQuantity: Int64
    public var totalBidQuantity: Int64
    public var sourceType: SourceType

    public init(
        provider: Provider, symbol: String, time: Date, receivedAt: Date? = nil,
        asks: [PriceLevel], bids: [PriceLevel], totalAskQuantity: Int64, totalBidQuantity: Int64,
        sourceType: SourceType
    ) {
        self.provider = provider
        self.symbol = symbol
        self.time = time
        self.receivedAt = receivedAt
        self.asks = asks
        self.bids = bids
        self.totalAskQuantity = totalAskQuantity
        self.totalBidQuantity = totalBidQuantity
        self.sourceType = sourceType
    }
}
