import NIOCore

extension RESPValue {
    /// Appends the wire form of this value to `buffer`.
    public func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .simpleString(let s): line("+", s, &buffer)
        case .error(let s): line("-", s, &buffer)
        case .integer(let i): line(":", String(i), &buffer)
        case .bulkString(nil): buffer.writeStaticString("$-1\r\n")
        case .bulkString(let bytes?): buffer.writeRESPBulkString(bytes)
        case .array(nil): buffer.writeStaticString("*-1\r\n")
        case .array(let values?): aggregate("*", values, &buffer)
        case .null: buffer.writeStaticString("_\r\n")
        case .boolean(let b): buffer.writeStaticString(b ? "#t\r\n" : "#f\r\n")
        case .double(let d):
            let text: String
            if d.isNaN { text = "nan" } else if d == .infinity { text = "inf" } else if d == -.infinity { text = "-inf" } else { text = "\(d)" }
            line(",", text, &buffer)
        case .bigNumber(let s): line("(", s, &buffer)
        case .bulkError(let s): blob("!", Array(s.utf8), &buffer)
        case .verbatimString(let format, let text): blob("=", Array((format + ":" + text).utf8), &buffer)
        case .map(let pairs):
            line("%", String(pairs.count), &buffer)
            for pair in pairs {
                pair.key.encode(into: &buffer)
                pair.value.encode(into: &buffer)
            }
        case .set(let values): aggregate("~", values, &buffer)
        case .push(let values): aggregate(">", values, &buffer)
        }
    }

    /// The wire form of this value.
    public var encoded: ByteBuffer {
        var buffer = ByteBuffer()
        encode(into: &buffer)
        return buffer
    }

    private func line(_ type: Unicode.Scalar, _ text: String, _ buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: type))
        buffer.writeString(text)
        buffer.writeStaticString("\r\n")
    }

    private func blob(_ type: Unicode.Scalar, _ bytes: [UInt8], _ buffer: inout ByteBuffer) {
        line(type, String(bytes.count), &buffer)
        buffer.writeBytes(bytes)
        buffer.writeStaticString("\r\n")
    }

    private func aggregate(_ type: Unicode.Scalar, _ values: [RESPValue], _ buffer: inout ByteBuffer) {
        line(type, String(values.count), &buffer)
        for value in values { value.encode(into: &buffer) }
    }
}
