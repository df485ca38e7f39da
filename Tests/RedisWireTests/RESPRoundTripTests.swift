import NIOCore
import Testing

@testable import RedisWire

@Suite("RESP round trips", .timeLimit(.minutes(5)))
struct RESPRoundTripTests {
    @Test("every type encodes and decodes to itself", arguments: RESPSamples.all)
    func roundTrip(_ value: RESPValue) throws {
        var buffer = value.encoded
        var decoder = RESPDecoder()
        let decoded = try decoder.decode(&buffer)
        #expect(decoded == value)
        #expect(buffer.readableBytes == 0)
        #expect(!decoder.hasPartialValue)
    }

    @Test("NaN survives a round trip")
    func nan() throws {
        var buffer = RESPValue.double(.nan).encoded
        var decoder = RESPDecoder()
        let decoded = try #require(try decoder.decode(&buffer))
        guard case .double(let d) = decoded else {
            Issue.record("expected a double, got \(decoded)")
            return
        }
        #expect(d.isNaN)
    }

    @Test("wire forms match the RESP specification")
    func wireForms() {
        #expect(String(buffer: RESPValue.simpleString("OK").encoded) == "+OK\r\n")
        #expect(String(buffer: RESPValue.bulkString(nil).encoded) == "$-1\r\n")
        #expect(String(buffer: RESPValue.array(nil).encoded) == "*-1\r\n")
        #expect(String(buffer: RESPValue.verbatimString(format: "txt", text: "hi").encoded) == "=6\r\ntxt:hi\r\n")
        #expect(String(buffer: RESPValue.map([.init(.integer(1), .boolean(true))]).encoded) == "%1\r\n:1\r\n#t\r\n")
        var command = ByteBuffer()
        command.writeRESPCommand(["SET", "k", "v"])
        #expect(String(buffer: command) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
    }

    @Test("RESP3 attributes are skipped, at top level and inside aggregates")
    func attributesSkipped() throws {
        var buffer = RESPSamples.buffer("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:1\r\n|1\r\n+x\r\n+y\r\n:2\r\n")
        var decoder = RESPDecoder()
        let value = try decoder.decode(&buffer)
        #expect(value == .array([.integer(1), .integer(2)]))
        #expect(buffer.readableBytes == 0)
    }

    @Test("accessors")
    func accessors() {
        #expect(RESPValue.bulkString(Array("12".utf8)).int == 12)
        #expect(RESPValue.bulkString(Array("héllo".utf8)).string == "héllo")
        #expect(RESPValue.simpleString("OK").bytes == Array("OK".utf8))
        #expect(RESPValue.integer(7).int == 7)
        #expect(RESPValue.integer(7).string == nil)
        #expect(RESPValue.set([.integer(1)]).array == [.integer(1)])
        #expect(RESPValue.array(nil).array == nil)
        #expect(RESPValue.array(nil).isNull && RESPValue.bulkString(nil).isNull && RESPValue.null.isNull)
        #expect(!RESPValue.bulkString([]).isNull)
        #expect(RESPValue.error("ERR x").errorMessage == "ERR x")
        #expect(RESPValue.bulkError("ERR y").errorMessage == "ERR y")
        #expect(RESPValue.simpleString("ERR").errorMessage == nil)
        #expect(RESPValue.array([.integer(1), .integer(2)]).pairs == [.init(.integer(1), .integer(2))])
    }
}
