import BrokerCore
import Foundation

extension RealtimeEventCodec {
    /// Appends the primitives of the format to a byte array.
    struct Writer {
        var bytes: [UInt8] = []

        mutating func u8(_ value: UInt8) { bytes.append(value) }

        mutating func varint(_ value: UInt64) {
            var value = value
            while value >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
        }

        /// Zigzag: small magnitudes of either sign stay short.
        mutating func int(_ value: Int64) {
            varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
        }

        mutating func string(_ value: String) {
            var value = value
            value.withUTF8 { utf8 in
                varint(UInt64(utf8.count))
                bytes.append(contentsOf: utf8)
            }
        }

        mutating func date(_ value: Date) {
            var bits = value.timeIntervalSinceReferenceDate.bitPattern
            for _ in 0..<8 {
                bytes.append(UInt8(truncatingIfNeeded: bits))
                bits >>= 8
            }
        }

        mutating func tick(_ tick: Tick, in event: RealtimeEvent) {
            let optionals = [tick.cumVolume, tick.cumValue, tick.open, tick.high, tick.low, tick.askPrice, tick.bidPrice]
            var flags: UInt64 = 0
            if tick.receivedAt != nil { flags |= TickFlag.receivedAt }
            if tick.provider != event.provider { flags |= TickFlag.provider }
            if tick.symbol != event.symbol { flags |= TickFlag.symbol }
            for (offset, value) in optionals.enumerated() where value != nil { flags |= TickFlag.firstOptional << UInt64(offset) }
            if tick.marketClass != nil { flags |= TickFlag.marketClass }
            varint(flags)
            if flags & TickFlag.provider != 0 { u8(Code.provider(tick.provider)) }
            if flags & TickFlag.symbol != 0 { string(tick.symbol) }
            date(tick.time)
            if let receivedAt = tick.receivedAt { date(receivedAt) }
            int(tick.price)
            int(tick.volume)
            u8(Code.side(tick.side))
            int(tick.change)
            int(tick.changeRate.mantissa)
            u8(tick.changeRate.scale)
            for value in optionals { if let value { int(value) } }
            if let marketClass = tick.marketClass { string(marketClass) }
            u8(Code.source(tick.sourceType))
        }

        mutating func orderBook(_ book: OrderBook, in event: RealtimeEvent) {
            var flags: UInt64 = 0
            if book.receivedAt != nil { flags |= BookFlag.receivedAt }
            if book.provider != event.provider { flags |= BookFlag.provider }
            if book.symbol != event.symbol { flags |= BookFlag.symbol }
            varint(flags)
            if flags & BookFlag.provider != 0 { u8(Code.provider(book.provider)) }
            if flags & BookFlag.symbol != 0 { string(book.symbol) }
            date(book.time)
            if let receivedAt = book.receivedAt { date(receivedAt) }
            levels(book.asks)
            levels(book.bids)
            int(book.totalAskQuantity)
            int(book.totalBidQuantity)
            u8(Code.source(book.sourceType))
        }

        mutating func levels(_ levels: [PriceLevel]) {
            varint(UInt64(levels.count))
            for level in levels {
                int(level.price)
                int(level.quantity)
            }
        }

        mutating func alert(_ alert: RealtimeAlert) {
            var flags: UInt64 = 0
            if alert.provider != nil { flags |= AlertFlag.provider }
            if alert.symbol != nil { flags |= AlertFlag.symbol }
            varint(flags)
            string(alert.kind)
            string(alert.message)
            if let provider = alert.provider { u8(Code.provider(provider)) }
            if let symbol = alert.symbol { string(symbol) }
            date(alert.at)
        }
    }

    enum TickFlag {
        static let receivedAt: UInt64 = 1 << 0
        static let provider: UInt64 = 1 << 1
        static let symbol: UInt64 = 1 << 2
        /// cumVolume, cumValue, open, high, low, askPrice, bidPrice take bits 3...9 in that order.
        static let firstOptional: UInt64 = 1 << 3
        /// `marketClass` (a string after the optionals); events written before it existed never set it.
        static let marketClass: UInt64 = 1 << 10
        static let all: UInt64 = (1 << 11) - 1
    }

    enum BookFlag {
        static let receivedAt: UInt64 = 1 << 0
        static let provider: UInt64 = 1 << 1
        static let symbol: UInt64 = 1 << 2
        static let all: UInt64 = (1 << 3) - 1
    }

    enum AlertFlag {
        static let provider: UInt64 = 1 << 0
        static let symbol: UInt64 = 1 << 1
        static let all: UInt64 = (1 << 2) - 1
    }
}
