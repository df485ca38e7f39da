import NIOCore
import RedisWire

/// Values of every type, used by the round-trip and split-point tests.
enum RESPSamples {
    static let all: [RESPValue] = [
        .simpleString("OK"),
        .simpleString(""),
        .error("ERR unknown command 'FOO'"),
        .integer(0),
        .integer(-42),
        .integer(.max),
        .integer(.min),
        .bulkString(Array("hello".utf8)),
        .bulkString([]),
        .bulkString([0, 13, 10, 255, 36, 42]),
        .bulkString(nil),
        .array([]),
        .array(nil),
        .array([.integer(1), .bulkString(Array("two".utf8)), .array([.simpleString("three"), .null])]),
        .null,
        .boolean(true),
        .boolean(false),
        .double(3.25),
        .double(-0.5),
        .double(.infinity),
        .double(-.infinity),
        .double(1e300),
        .bigNumber("3492890328409238509324850943850943825024385"),
        .bigNumber("-12"),
        .bulkError("SYNTAX invalid syntax"),
        .verbatimString(format: "txt", text: "Some string\r\nwith CRLF"),
        .verbatimString(format: "mkd", text: ""),
        .map([.init(.simpleString("first"), .integer(1)), .init(.bulkString(Array("second".utf8)), .array([.boolean(true)]))]),
        .map([]),
        .set([.integer(1), .simpleString("a")]),
        .push([.bulkString(Array("message".utf8)), .bulkString(Array("ch".utf8)), .bulkString([1, 2, 3])]),
    ]

    static func encode(_ values: [RESPValue]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for value in values { value.encode(into: &buffer) }
        return buffer
    }

    static func buffer(_ text: String) -> ByteBuffer {
        ByteBuffer(string: text)
    }
}
