import NIOCore

extension ByteBuffer {
    /// Writes `*<count>\r\n`.
    @inlinable
    public mutating func writeRESPArrayHeader(_ count: Int) {
        writeInteger(UInt8(ascii: "*"))
        writeString(String(count))
        writeStaticString("\r\n")
    }

    /// Writes a bulk string `$<n>\r\n<bytes>\r\n`.
    @inlinable
    public mutating func writeRESPBulkString(_ bytes: some Collection<UInt8>) {
        writeInteger(UInt8(ascii: "$"))
        writeString(String(bytes.count))
        writeStaticString("\r\n")
        writeBytes(bytes)
        writeStaticString("\r\n")
    }

    /// Writes a bulk string holding the UTF-8 bytes of `string`.
    @inlinable
    public mutating func writeRESPBulkString(_ string: String) {
        writeInteger(UInt8(ascii: "$"))
        writeString(String(string.utf8.count))
        writeStaticString("\r\n")
        writeString(string)
        writeStaticString("\r\n")
    }

    /// Writes one command as an array of bulk strings.
    public mutating func writeRESPCommand(_ arguments: [[UInt8]]) {
        writeRESPArrayHeader(arguments.count)
        for argument in arguments { writeRESPBulkString(argument) }
    }

    /// Writes one command as an array of bulk strings.
    public mutating func writeRESPCommand(_ arguments: [String]) {
        writeRESPArrayHeader(arguments.count)
        for argument in arguments { writeRESPBulkString(argument) }
    }

    /// Writes any ``RESPValue`` in its wire form (used by tests and fakes; clients send commands).
    public mutating func writeRESPValue(_ value: RESPValue) {
        value.encode(into: &self)
    }
}
