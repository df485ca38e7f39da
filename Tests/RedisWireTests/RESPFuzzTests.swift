import NIOCore
import Testing

@testable import RedisWire

@Suite("RESP fuzz (seeded)", .timeLimit(.minutes(5)))
struct RESPFuzzTests {
    static func randomValue(depth: Int, using rng: inout SeededGenerator) -> RESPValue {
        let choice = Int.random(in: 0..<(depth >= 4 ? 11 : 16), using: &rng)
        func bytes() -> [UInt8] { (0..<Int.random(in: 0..<20, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        func text() -> String { String((0..<Int.random(in: 0..<12, using: &rng)).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &rng))) }) }
        func children() -> [RESPValue] { (0..<Int.random(in: 0..<4, using: &rng)).map { _ in randomValue(depth: depth + 1, using: &rng) } }
        switch choice {
        case 0: return .simpleString(text())
        case 1: return .error("ERR " + text())
        case 2: return .integer(Int64.random(in: .min ... .max, using: &rng))
        case 3: return .bulkString(bytes())
        case 4: return Bool.random(using: &rng) ? .bulkString(nil) : .array(nil)
        case 5: return .null
        case 6: return .boolean(Bool.random(using: &rng))
        case 7: return .double(Double(Int.random(in: -1_000_000...1_000_000, using: &rng)) / 64)
        case 8: return .bigNumber(String(UInt64.random(in: 0 ... .max, using: &rng)) + "123456789")
        case 9: return .bulkError("ERR " + text())
        case 10: return .verbatimString(format: "txt", text: text())
        case 11, 12: return .array(children())
        case 13: return .set(children())
        case 14: return .push(children())
        default:
            let keys = children()
            return .map(keys.map { .init($0, randomValue(depth: depth + 1, using: &rng)) })
        }
    }

    @Test("random valid buffers decode to their values in random chunks")
    func validBuffers() throws {
        var rng = SeededGenerator(seed: 0x5EED)
        for _ in 0..<300 {
            let values = (0..<Int.random(in: 1...5, using: &rng)).map { _ in Self.randomValue(depth: 0, using: &rng) }
            let whole = RESPSamples.encode(values)
            var chunks: [ByteBuffer] = []
            var offset = 0
            while offset < whole.readableBytes {
                let length = min(Int.random(in: 1...32, using: &rng), whole.readableBytes - offset)
                chunks.append(whole.getSlice(at: offset, length: length)!)
                offset += length
            }
            #expect(try RESPIncrementalTests.decode(chunks: chunks) == values)
        }
    }

    @Test("random mutations and garbage never crash the decoder")
    func invalidBuffersNeverCrash() {
        var rng = SeededGenerator(seed: 0xBAD5EED)
        var rejected = 0
        for round in 0..<2_000 {
            var bytes: [UInt8]
            if round % 3 == 0 {
                bytes = (0..<Int.random(in: 0..<64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                let value = Self.randomValue(depth: 0, using: &rng)
                bytes = Array(buffer: value.encoded)
                for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
                    let index = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes[index] = UInt8.random(in: 0...255, using: &rng)
                    case 1: bytes.remove(at: index)
                    default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: index)
                    }
                }
            }
            var decoder = RESPDecoder()
            var buffer = ByteBuffer(bytes: bytes)
            do {
                _ = try decoder.decodeAll(&buffer)
            } catch {
                rejected += 1
            }
        }
        #expect(rejected > 100)
    }
}
