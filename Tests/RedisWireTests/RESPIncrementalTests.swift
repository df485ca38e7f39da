import NIOCore
import Testing

@testable import RedisWire

@Suite("RESP incremental decoding", .timeLimit(.minutes(5)))
struct RESPIncrementalTests {
    /// Feeds `chunks` one after another into one decoder and collects every value.
    static func decode(chunks: [ByteBuffer]) throws -> [RESPValue] {
        var decoder = RESPDecoder()
        var pending = ByteBuffer()
        var values: [RESPValue] = []
        for var chunk in chunks {
            pending.writeBuffer(&chunk)
            values += try decoder.decodeAll(&pending)
            pending.discardReadBytes()
        }
        #expect(pending.readableBytes == 0)
        #expect(!decoder.hasPartialValue)
        return values
    }

    @Test("every split point of a multi-value buffer yields the same values")
    func everySplitPoint() throws {
        let whole = RESPSamples.encode(RESPSamples.all)
        for split in 0...whole.readableBytes {
            let first = whole.getSlice(at: 0, length: split)!
            let second = whole.getSlice(at: split, length: whole.readableBytes - split)!
            #expect(try Self.decode(chunks: [first, second]) == RESPSamples.all, "split at \(split)")
        }
    }

    @Test("byte by byte")
    func byteByByte() throws {
        let whole = RESPSamples.encode(RESPSamples.all)
        let chunks = (0..<whole.readableBytes).map { whole.getSlice(at: $0, length: 1)! }
        #expect(try Self.decode(chunks: chunks) == RESPSamples.all)
    }

    @Test("random chunk sizes (seeded)", arguments: [1, 2, 3, 42, 1234])
    func randomChunks(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let values = RESPSamples.all + RESPSamples.all.reversed()
        let whole = RESPSamples.encode(values)
        var chunks: [ByteBuffer] = []
        var offset = 0
        while offset < whole.readableBytes {
            let length = min(Int.random(in: 1...17, using: &rng), whole.readableBytes - offset)
            chunks.append(whole.getSlice(at: offset, length: length)!)
            offset += length
        }
        #expect(try Self.decode(chunks: chunks) == values)
    }

    @Test("an incomplete scalar consumes nothing")
    func needMoreKeepsBytes() throws {
        var decoder = RESPDecoder()
        for text in ["$5\r\nhel", "$5\r\nhello", "$5\r\nhello\r", "+OK", "+OK\r", ":12", "$", "*"] {
            var buffer = RESPSamples.buffer(text)
            #expect(try decoder.decode(&buffer) == nil, "\(text.debugDescription)")
            #expect(buffer.readerIndex == 0, "\(text.debugDescription)")
        }
    }

    @Test("a large bulk string in small pieces")
    func largeBulk() throws {
        let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let whole = RESPValue.bulkString(payload).encoded
        var chunks: [ByteBuffer] = []
        var offset = 0
        while offset < whole.readableBytes {
            let length = min(4096, whole.readableBytes - offset)
            chunks.append(whole.getSlice(at: offset, length: length)!)
            offset += length
        }
        #expect(try Self.decode(chunks: chunks) == [.bulkString(payload)])
    }
}
