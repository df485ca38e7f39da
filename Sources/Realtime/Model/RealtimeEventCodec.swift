import BrokerCore
import Foundation

/// The compact, versioned binary form of a `RealtimeEvent` as it is stored on the bus (journal rows, Redis
/// stream entries, Pub/Sub payloads).
///
/// Layout (version 1): `version: u8`, `kind: u8` (1 tick, 2 order book, 3 alert), then the event header
/// (`id`, `channel`, `provider`, `symbol`, `receivedAt`) and the payload. Integers are zigzag LEB128 varints,
/// strings a varint byte length and UTF-8, dates the 8 little-endian bytes of
/// `timeIntervalSinceReferenceDate` (exact round trip), enums fixed one-byte codes (independent of Swift case
/// order), optionals a presence bit in a flags byte. A payload's provider and symbol cost nothing when they
/// equal the event's. Malformed or truncated input throws `BrokerHubError` (`payload.malformed`); decoding
/// never traps and never allocates more than the input can describe.
public enum RealtimeEventCodec {
    /// The format version written by `encode`; `decode` reads exactly this version.
    public static let version: UInt8 = 1

    /// Encodes an event.
    public static func encode(_ event: RealtimeEvent) -> [UInt8] {
        var writer = Writer()
        writer.bytes.reserveCapacity(event.payloadSizeHint)
        writer.u8(version)
        switch event.payload {
        case .tick: writer.u8(Kind.tick)
        case .orderBook: writer.u8(Kind.orderBook)
        case .alert: writer.u8(Kind.alert)
        }
        writer.string(event.id)
        writer.u8(Code.channel(event.channel))
        writer.u8(Code.provider(event.provider))
        writer.string(event.symbol)
        writer.date(event.receivedAt)
        switch event.payload {
        case .tick(let tick): writer.tick(tick, in: event)
        case .orderBook(let book): writer.orderBook(book, in: event)
        case .alert(let alert): writer.alert(alert)
        }
        return writer.bytes
    }

    /// Decodes bytes written by `encode`; throws `BrokerHubError` (`payload.malformed`) naming the offset and
    /// the field for truncated, trailing or invalid input and for an unknown version.
    public static func decode(_ bytes: some Collection<UInt8>) throws -> RealtimeEvent {
        if let result = try bytes.withContiguousStorageIfAvailable({ try decode(buffer: $0) }) {
            return result
        }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { try decode(buffer: $0) }
    }

    static func decode(buffer: UnsafeBufferPointer<UInt8>) throws -> RealtimeEvent {
        var reader = Reader(buffer: buffer)
        let version = try reader.u8("version")
        guard version == Self.version else { throw reader.error("version", "unsupported version \(version)") }
        let kind = try reader.u8("kind")
        let id = try reader.string("id")
        let channel = try reader.channel()
        let provider = try reader.provider("provider")
        let symbol = try reader.string("symbol")
        let receivedAt = try reader.date("receivedAt")
        let payload: RealtimeEvent.Payload
        switch kind {
        case Kind.tick: payload = .tick(try reader.tick(provider: provider, symbol: symbol))
        case Kind.orderBook: payload = .orderBook(try reader.orderBook(provider: provider, symbol: symbol))
        case Kind.alert: payload = .alert(try reader.alert())
        default: throw reader.error("kind", "unknown payload kind \(kind)", at: 1)
        }
        guard reader.index == buffer.count else {
            throw reader.error("end", "\(buffer.count - reader.index) trailing bytes")
        }
        return RealtimeEvent(id: id, channel: channel, provider: provider, symbol: symbol, receivedAt: receivedAt, payload: payload)
    }

    enum Kind {
        static let tick: UInt8 = 1
        static let orderBook: UInt8 = 2
        static let alert: UInt8 = 3
    }
}

extension RealtimeEvent {
    /// A capacity guess for the encoded form (avoids regrowing the buffer).
    fileprivate var payloadSizeHint: Int {
        switch payload {
        case .tick: 96 + id.utf8.count
        case .orderBook: 224 + id.utf8.count
        case .alert(let alert): 64 + id.utf8.count + alert.message.utf8.count
        }
    }
}
