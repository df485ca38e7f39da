import NIOCore
import RedisWire

/// The RESP2/RESP3 decoder: what decodes whole also decodes fed in two pieces, and re-encodes to itself.
enum RESPTarget {
    static let resp = FuzzTarget(name: "resp", summary: "RESPDecoder: whole vs two chunks (first byte picks the cut) agree; decoded values re-encode and decode to themselves") { bytes in
        var whole = ByteBuffer(bytes: bytes)
        var decoder = RESPDecoder()
        guard let values = try? decoder.decodeAll(&whole) else { return }

        let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        var chunked = RESPDecoder()
        var buffer = ByteBuffer(bytes: bytes[..<cut])
        var pieces = (try? chunked.decodeAll(&buffer)) ?? []
        buffer.writeBytes(bytes[cut...])
        pieces += (try? chunked.decodeAll(&buffer)) ?? []
        invariant(wire(pieces) == wire(values), "decoding in two chunks differs from decoding whole (cut at \(cut))")

        var encoded = wire(values)
        var again = RESPDecoder()
        invariant((try? again.decodeAll(&encoded)).map(wire) == wire(values), "re-encoded values decode differently")
    }

    /// Values compared by their encoding (a RESP3 double NaN is not equal to itself).
    private static func wire(_ values: [RESPValue]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for value in values { value.encode(into: &buffer) }
        return buffer
    }
}
