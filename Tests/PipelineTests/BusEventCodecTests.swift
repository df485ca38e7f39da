import BrokerHubTesting
import BrokerCore
import Foundation
import Realtime
import Testing

@Suite("Realtime event codec", .timeLimit(.minutes(10)))
struct BusEventCodecTests {
    /// Every payload kind with every optional nil and set, one at a time, plus payload provider/symbol that
    /// differ from the event's.
    static var samples: [RealtimeEvent] {
        var events = [
            BusEventSamples.tick(), BusEventSamples.tick(optionalsSet: false),
            BusEventSamples.orderBook(), BusEventSamples.orderBook(receivedAt: nil), BusEventSamples.orderBook(levels: 0),
            BusEventSamples.orderBook(levels: 3),
            BusEventSamples.alert(), BusEventSamples.alert(provider: nil), BusEventSamples.alert(symbol: nil),
            BusEventSamples.alert(provider: nil, symbol: nil),
        ]
        let fields: [WritableKeyPath<Tick, Int64?>] = [\.cumVolume, \.cumValue, \.open, \.high, \.low, \.askPrice, \.bidPrice]
        for field in fields {
            guard case .tick(var tick) = BusEventSamples.tick(optionalsSet: false).payload else { continue }
            tick[keyPath: field] = -987_654_321
            events.append(RealtimeEvent(id: "one-set", channel: .ticker, provider: .kis, symbol: "005930", receivedAt: BusEventSamples.time, payload: .tick(tick)))
            guard case .tick(var full) = BusEventSamples.tick().payload else { continue }
            full[keyPath: field] = nil
            events.append(RealtimeEvent(id: "one-nil", channel: .ticker, provider: .kis, symbol: "005930", receivedAt: BusEventSamples.time, payload: .tick(full)))
        }
        guard case .tick(var other) = BusEventSamples.tick().payload else { return events }
        other.provider = .kiwoom
        other.symbol = "A005930"
        other.side = .unknown
        other.sourceType = .backfill
        other.price = .max
        other.change = .min
        other.changeRate = FixedDecimal(mantissa: .min, scale: 255)
        events.append(RealtimeEvent(id: "", channel: .ticker, provider: .kis, symbol: "", receivedAt: .distantPast, payload: .tick(other)))
        guard case .orderBook(var book) = BusEventSamples.orderBook().payload else { return events }
        book.provider = .kis
        book.symbol = "069500"
        book.receivedAt = .distantFuture
        events.append(RealtimeEvent(id: "x", channel: .orderbook, provider: .kiwoom, symbol: "000660", receivedAt: Date(), payload: .orderBook(book)))
        return events
    }

    @Test("every sample round-trips exactly", arguments: samples.indices)
    func roundTrip(index: Int) throws {
        let event = Self.samples[index]
        let bytes = RealtimeEventCodec.encode(event)
        #expect(bytes.first == RealtimeEventCodec.version)
        #expect(try RealtimeEventCodec.decode(bytes) == event)
        // Any collection of bytes, contiguous or not.
        #expect(try RealtimeEventCodec.decode(bytes[...]) == event)
        #expect(try RealtimeEventCodec.decode(Data(bytes)) == event)
        #expect(try RealtimeEventCodec.decode(AnyCollection(bytes)) == event)
    }

    @Test("the encoding is compact")
    func compact() {
        // A full tick with a typical id is well under 100 bytes; a 10-level book well under 200.
        #expect(RealtimeEventCodec.encode(BusEventSamples.tick()).count < 100)
        #expect(RealtimeEventCodec.encode(BusEventSamples.orderBook()).count < 200)
    }

    @Test("input truncated at every byte throws a clear error", arguments: samples.indices)
    func truncated(index: Int) throws {
        let bytes = RealtimeEventCodec.encode(Self.samples[index])
        for length in 0..<bytes.count {
            let error = #expect(throws: BrokerHubError.self) { try RealtimeEventCodec.decode(bytes.prefix(length)) }
            #expect(error?.code == .malformedPayload)
            #expect(error?.message.contains("truncated") == true, "length \(length): \(String(describing: error))")
        }
    }

    @Test("trailing bytes, unknown version, kind, codes and flags are rejected")
    func malformed() throws {
        let bytes = RealtimeEventCodec.encode(BusEventSamples.tick())
        let cases: [(String, [UInt8])] = [
            ("trailing", bytes + [0]),
            ("version", [2] + bytes.dropFirst()),
            ("kind", [bytes[0], 9] + bytes.dropFirst(2)),
            ("truncated", []),
        ]
        for (expected, input) in cases {
            let error = #expect(throws: BrokerHubError.self) { try RealtimeEventCodec.decode(input) }
            #expect(error?.message.contains(expected) == true, "\(expected): \(String(describing: error))")
        }
        // Header: version, kind, id (length + bytes), channel code.
        let id = Array("run1-1".utf8)
        var badChannel = bytes
        badChannel[2 + 1 + id.count] = 0
        #expect(throws: BrokerHubError.self) { try RealtimeEventCodec.decode(badChannel) }
        var badProvider = bytes
        badProvider[2 + 1 + id.count + 1] = 7
        #expect(throws: BrokerHubError.self) { try RealtimeEventCodec.decode(badProvider) }
        var badUTF8 = bytes
        badUTF8[3] = 0xFF
        let utf8Error = #expect(throws: BrokerHubError.self) { try RealtimeEventCodec.decode(badUTF8) }
        #expect(utf8Error?.message.contains("UTF-8") == true)
        // A varint longer than 64 bits in the id length.
        let overlong: [UInt8] = [1, 1] + [UInt8](repeating: 0xFF, count: 10) + [0x7F]
        let overflow = #expect(throws: BrokerHubError.self) { try RealtimeEventCodec.decode(overlong) }
        #expect(overflow?.message.contains("64 bits") == true)
        // A huge level count must not allocate: it is rejected against the remaining input.
        let book = RealtimeEventCodec.encode(BusEventSamples.orderBook(levels: 0))
        let huge = Array(book.dropLast(4)) + [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
        #expect(throws: BrokerHubError.self) { try RealtimeEventCodec.decode(huge) }
    }

    @Test("random and mutated input never traps")
    func fuzz() {
        var generator = SeededGenerator(seed: 0x5EED)
        let encoded = Self.samples.map(RealtimeEventCodec.encode)
        var decoded = 0
        for round in 0..<20_000 {
            var bytes = encoded[round % encoded.count]
            if round % 4 == 0 {
                bytes = (0..<Int.random(in: 0..<64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                bytes.insert(RealtimeEventCodec.version, at: 0)
            } else {
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            if (try? RealtimeEventCodec.decode(bytes)) != nil { decoded += 1 }
        }
        // Mutations inside numeric fields still decode; the point is that nothing trapped.
        #expect(decoded > 0)
    }
}

/// A small deterministic generator (SplitMix64) for reproducible fuzzing.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
