import BrokerCore
import Foundation

/// One stored trade as verification and backfill read it back: what a minute candle is built from.
public struct StoredTrade: Sendable, Hashable {
    /// Exchange time.
    public var time: Date
    public var price: Int64
    public var volume: Int64
    /// The session's accumulated volume after this trade, when the broker reported it.
    public var cumVolume: Int64?
    /// `realtime` or `backfill`.
    public var sourceType: SourceType

    public init(time: Date, price: Int64, volume: Int64, cumVolume: Int64? = nil, sourceType: SourceType) {
        self.time = time
        self.price = price
        self.volume = volume
        self.cumVolume = cumVolume
        self.sourceType = sourceType
    }
}
