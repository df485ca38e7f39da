import BrokerWire
import Testing

@Suite("JSON parser", .timeLimit(.minutes(5)))
struct JSONParserTests {
    @Test func parsesBrokerEnvelope() throws {
        let value = try JSONParser.parse(#"{"rt_cd":"0","msg_cd":"MCA00000","msg1":"정상처리 되었습니다.","output":{"stck_prpr":"71900"},"list":[1,-2.5,true,null]}"#)
        #expect(value["rt_cd"]?.stringValue == "0")
        #expect(value["msg1"]?.stringValue == "정상처리 되었습니다.")
        #expect(value["output"]?["stck_prpr"]?.intValue == 71900)
        #expect(value["list"]?.arrayValue == [.number("1"), .number("-2.5"), .bool(true), .null])
    }

    @Test func duplicateMemberNamesAreRefusedOnlyWhenAsked() throws {
        let text = #"{"a":1,"b":{"c":2,"c":3}}"#
        #expect(try JSONParser.parse(Array(text.utf8))["b"]?["c"] == .number("3"), "lenient by default: the last one wins")
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8), uniqueKeys: true) }
        #expect(try JSONParser.parse(Array(#"{"a":{"c":1},"b":{"c":2}}"#.utf8), uniqueKeys: true)["b"]?["c"] == .number("2"), "the same name in different objects")
    }

    @Test func keepsNumbersExact() throws {
        let value = try JSONParser.parse(#"{"return_code":0,"big":123456789012345678901234567890,"e":1.5E-3}"#)
        #expect(value["return_code"] == .number("0"))
        #expect(value["big"] == .number("123456789012345678901234567890"))
        #expect(value["e"] == .number("1.5E-3"))
    }

    @Test func decodesEscapes() throws {
        let value = try JSONParser.parse(#"["a\"b\\c\/d\n\t", "\uD55C\uAD6D", "\uD83D\uDE00"]"#)
        #expect(value.arrayValue?.map(\.stringValue) == ["a\"b\\c/d\n\t", "한국", "😀"])
    }

    @Test(arguments: [
        "", "{", #"{"a":}"#, #"{"a" 1}"#, "[1,]", "[1 2]", #"{"a":1,}"#, "tru", "nul", "01", "1.", "-",
        #""unterminated"#, #""bad \x escape""#, #""\uD800""#, "{\"a\":\"line\nbreak\"}", "[1] trailing", #"{"rt_cd":"0","msg"#,
    ])
    func rejectsMalformed(text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
    }

    @Test func refusesExcessiveNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try JSONParser.parse(fine) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22]) }
    }

    @Test func writerRoundTrips() throws {
        let original = try JSONParser.parse(#"{"b":[1,"x\"y",{"c":null}],"a":true,"k":"한\n"}"#)
        let written = JSONWriter.serialize(original)
        #expect(try JSONParser.parse(written) == original)
        var object = JSONWriter.Object()
        object.add("z", "1")
        object.add("a", Int64(-5))
        object.add("skip", nil as String?)
        #expect(object.json == #"{"z":"1","a":-5}"#)
    }
}
