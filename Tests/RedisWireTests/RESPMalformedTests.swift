import NIOCore
import Testing

@testable import RedisWire

@Suite("RESP malformed input", .timeLimit(.minutes(5)))
struct RESPMalformedTests {
    struct Case: Sendable, CustomStringConvertible {
        var input: String
        var kind: RESPDecodingError.Kind
        var description: String { input.debugDescription }
    }

    static let cases: [Case] = [
        Case(input: "?what\r\n", kind: .invalidTypeByte),
        Case(input: "x", kind: .invalidTypeByte),
        Case(input: "\r\n", kind: .invalidTypeByte),
        Case(input: ":12a\r\n", kind: .invalidScalar),
        Case(input: ":\r\n", kind: .invalidScalar),
        Case(input: ":99999999999999999999\r\n", kind: .invalidScalar),
        Case(input: "#x\r\n", kind: .invalidScalar),
        Case(input: ",abc\r\n", kind: .invalidScalar),
        Case(input: ",0x10\r\n", kind: .invalidScalar),
        Case(input: "(12a\r\n", kind: .invalidScalar),
        Case(input: "_x\r\n", kind: .invalidScalar),
        Case(input: "$abc\r\n", kind: .invalidLength),
        Case(input: "$\r\n", kind: .invalidLength),
        Case(input: "$-2\r\n", kind: .invalidLength),
        Case(input: "$+3\r\nabc\r\n", kind: .invalidLength),
        Case(input: "*-5\r\n", kind: .invalidLength),
        Case(input: "!-1\r\n", kind: .invalidLength),
        Case(input: "%-1\r\n", kind: .invalidLength),
        Case(input: "~-1\r\n", kind: .invalidLength),
        Case(input: "$3\r\nabcd\r\n", kind: .missingCRLF),
        Case(input: "$3\r\nab\r\n\r\n", kind: .missingCRLF),
        Case(input: "+OK\rX", kind: .missingCRLF),
        Case(input: "+OK\n", kind: .missingCRLF),
        Case(input: "$600000000\r\n", kind: .bulkTooLarge),
        Case(input: "*999999999\r\n", kind: .aggregateTooLarge),
        Case(input: "=2\r\nab\r\n", kind: .invalidVerbatim),
        Case(input: "=5\r\ntxt-x\r\n", kind: .invalidVerbatim),
        // Found by `scripts/fuzz.sh resp`: a non-ASCII format was decoded lossily and re-encoded to another value.
        Case(input: "=7\r\nt\u{FA}:abc\r\n", kind: .invalidVerbatim),
        Case(input: "$?\r\n", kind: .unsupported),
        Case(input: "*?\r\n", kind: .unsupported),
        Case(input: "*2\r\n:1\r\n?\r\n", kind: .invalidTypeByte),
    ]

    @Test("each malformed input is rejected with the right error", arguments: cases)
    func rejected(_ testCase: Case) {
        var decoder = RESPDecoder()
        var buffer = RESPSamples.buffer(testCase.input)
        #expect(throws: RESPDecodingError.self) { _ = try decoder.decodeAll(&buffer) }
        do {
            var again = RESPSamples.buffer(testCase.input)
            var fresh = RESPDecoder()
            _ = try fresh.decodeAll(&again)
        } catch {
            #expect(error.kind == testCase.kind, "\(error)")
        }
    }

    @Test("a line without CRLF longer than the limit is rejected")
    func lineTooLong() {
        var limits = RESPDecoder.Limits()
        limits.maxLineLength = 16
        var decoder = RESPDecoder(limits: limits)
        var buffer = RESPSamples.buffer("+" + String(repeating: "a", count: 40))
        #expect(throws: RESPDecodingError(.lineTooLong, "line longer than 16 bytes")) { try decoder.decode(&buffer) }
    }

    @Test("nesting up to the limit is accepted, one deeper is rejected")
    func depthLimit() throws {
        func nested(_ depth: Int) -> ByteBuffer {
            RESPSamples.buffer(String(repeating: "*1\r\n", count: depth) + ":1\r\n")
        }
        var decoder = RESPDecoder()
        var ok = nested(64)
        var expected = RESPValue.integer(1)
        for _ in 0..<64 { expected = .array([expected]) }
        #expect(try decoder.decode(&ok) == expected)

        var deep = nested(65)
        var second = RESPDecoder()
        do {
            _ = try second.decode(&deep)
            Issue.record("65 levels were accepted")
        } catch {
            #expect(error.kind == .nestingTooDeep)
        }
    }

    @Test("after an error the decoder stays failed")
    func staysFailed() throws {
        var decoder = RESPDecoder()
        var bad = RESPSamples.buffer("?\r\n")
        #expect(throws: RESPDecodingError.self) { try decoder.decode(&bad) }
        var good = RESPSamples.buffer("+OK\r\n")
        #expect(throws: RESPDecodingError.self) { try decoder.decode(&good) }
    }
}
