import BrokerCore
import Foundation

extension RealtimeEventCodec {
    /// Reads the primitives of the format with bounds checks; every failure names the field and the offset.
    struct Reader {
        let buffer: UnsafeBufferPointer<UInt8>
        var index = 0

        init(buffer: UnsafeBufferPointer<UInt8>) { self.buffer = buffer }

        func error(_ field: String, _ reason: String, at offset: Int? = nil) -> BrokerHubError {
            BrokerHubError.malformed("realtime event", field: field, "\(reason) at byte \(offset ?? index) of \(buffer.count)")
        }

        mutating func u8(_ field: String) throws -> UInt8 {
            guard index < buffer.count else { throw error(field, "truncated") }
            defer { index += 1 }
            return buffer[index]
        }

        mutating func varint(_ field: String) throws -> UInt64 {
            let start = index
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard index < buffer.count else { throw error(field, "truncated varint", at: start) }
                let byte = buffer[index]
                index += 1
                if shift == 63, byte > 1 { throw error(field, "varint overflows 64 bits", at: start) }
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
        }

        mutating func int(_ field: String) throws -> Int64 {
            let raw = try varint(field)
            return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
        }

        mutating func string(_ field: String) throws -> String {
            let start = index
            let length = try varint(field)
            guard length <= UInt64(buffer.count - index) else { throw error(field, "string of \(length) bytes truncated", at: start) }
            let end = index + Int(length)
            guard let text = String(validating: buffer[index..<end], as: UTF8.self) else {
                throw error(field, "invalid UTF-8", at: start)
            }
            index = end
            return text
        }

        mutating func date(_ field: String) throws -> Date {
            guard buffer.count - index >= 8 else { throw error(field, "truncated date") }
            var bits: UInt64 = 0
            for offset in (0..<8).reversed() { bits = bits << 8 | UInt64(buffer[index + offset]) }
            index += 8
            let interval = Double(bitPattern: bits)
            guard interval.isFinite else { throw error(field, "date is not finite", at: index - 8) }
            return Date(timeIntervalSinceReferenceDate: interval)
        }

        mutating func flags(_ field: String, allowed: UInt64) throws -> UInt64 {
            let start = index
            let flags = try varint(field)
            guard flags & ~allowed == 0 else { throw error(field, "unknown flags \(flags & ~allowed)", at: start) }
            return flags
        }

        mutating func channel() throws -> RealtimeChannel {
            let code = try u8("channel")
            guard let value = Code.channel(code: code) else { throw error("channel", "unknown channel code \(code)", at: index - 1) }
            return value
        }

        mutating func provider(_ field: String) throws -> Provider {
            let code = try u8(field)
            guard let value = Code.provider(code: code) else { throw error(field, "unknown provider code \(code)", at: index - 1) }
            return value
        }

        mutating func source(_ field: String) throws -> SourceType {
            let code = try u8(field)
            guard let value = Code.source(code: code) else { throw error(field, "unknown source type code \(code)", at: index - 1) }
            return value
        }

        mutating func tick(provider eventProvider: Provider, symbol eventSymbol: String) throws -> Tick {
            let flags = try flags("tick.flags", allowed: TickFlag.all)
            let provider = flags & TickFlag.provider != 0 ? try self.provider("tick.provider") : eventProvider
            let symbol = flags & TickFlag.symbol != 0 ? try string("tick.symbol") : eventSymbol
            let time = try date("tick.time")
            let receivedAt = flags & TickFlag.receivedAt != 0 ? try date("tick.receivedAt") : nil
            let price = try int("tick.price")
            let volume = try int("tick.volume")
            let sideCode = try u8("tick.side")
            guard let side = Code.side(code: sideCode) else { throw error("tick.side", "unknown side code \(sideCode)", at: index - 1) }
            let change = try int("tick.change")
            let rate = FixedDecimal(mantissa: try int("tick.changeRate"), scale: try u8("tick.changeRate.scale"))
            let names = ["cumVolume", "cumValue", "open", "high", "low", "askPrice", "bidPrice"]
            var optionals = [Int64?](repeating: nil, count: names.count)
            for offset in names.indices where flags & (TickFlag.firstOptional << UInt64(offset)) != 0 {
                optionals[offset] = try int("tick.\(names[offset])")
            }
            let marketClass = flags & TickFlag.marketClass != 0 ? try string("tick.marketClass") : nil
            let source = try self.source("tick.sourceType")
            return Tick(
                provider: provider, symbol: symbol, time: time, receivedAt: receivedAt, price: price, volume: volume,
                side: side, change: change, changeRate: rate, cumVolume: optionals[0], cumValue: optionals[1],
                open: optionals[2], high: optionals[3], low: optionals[4], askPrice: optionals[5], bidPrice: optionals[6],
                marketClass: marketClass, sourceType: source
            )
        }

        mutating func orderBook(provider eventProvider: Provider, symbol eventSymbol: String) throws -> OrderBook {
            let flags = try flags("orderBook.flags", allowed: BookFlag.all)
            let provider = flags & BookFlag.provider != 0 ? try self.provider("orderBook.provider") : eventProvider
            let symbol = flags & BookFlag.symbol != 0 ? try string("orderBook.symbol") : eventSymbol
            let time = try date("orderBook.time")
            let receivedAt = flags & BookFlag.receivedAt != 0 ? try date("orderBook.receivedAt") : nil
            let asks = try levels("orderBook.asks")
            let bids = try levels("orderBook.bids")
            let totalAsk = try int("orderBook.totalAskQuantity")
            let totalBid = try int("orderBook.totalBidQuantity")
            let source = try self.source("orderBook.sourceType")
            return OrderBook(
                provider: provider, symbol: symbol, time: time, receivedAt: receivedAt, asks: asks, bids: bids,
                totalAskQuantity: totalAsk, totalBidQuantity: totalBid, sourceType: source
            )
        }

        mutating func levels(_ field: String) throws -> [PriceLevel] {
            let start = index
            let count = try varint(field)
            // Each level takes at least two bytes: never allocate more than the input can hold.
            guard count <= UInt64(buffer.count - index) / 2 else { throw error(field, "\(count) levels truncated", at: start) }
            var levels: [PriceLevel] = []
            levels.reserveCapacity(Int(count))
            for _ in 0..<count {
                levels.append(PriceLevel(price: try int(field), quantity: try int(field)))
            }
            return levels
        }

        mutating func alert() throws -> RealtimeAlert {
            let flags = try flags("alert.flags", allowed: AlertFlag.all)
            let kind = try string("alert.kind")
            let message = try string("alert.message")
            let provider = flags & AlertFlag.provider != 0 ? try self.provider("alert.provider") : nil
            let symbol = flags & AlertFlag.symbol != 0 ? try string("alert.symbol") : nil
            let at = try date("alert.at")
            return RealtimeAlert(kind: kind, message: message, provider: provider, symbol: symbol, at: at)
        }
    }
}
