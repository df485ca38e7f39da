import BrokerHubFuzzTargets
import Foundation
import Testing

/// Every committed fuzz input (the seeds and the crashes `scripts/fuzz.sh` found, kept as regressions) runs through
/// its target on every test run: a crash or a broken invariant fails the test process.
@Suite("Fuzz corpus replay")
struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz/corpus").standardizedFileURL

    @Test("every target has a seed corpus and every seed passes", arguments: FuzzTarget.all.map(\.name))
    func replay(_ name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        let directory = Self.corpus.appendingPathComponent(name)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }
        #expect(files.count >= 5, "Fuzz/corpus/\(name) has \(files.count) seeds")
        for file in files {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            data.withUnsafeBytes { target.run($0.bindMemory(to: UInt8.self)) }
        }
    }

    @Test func everyCorpusDirectoryNamesATarget() throws {
        let directories = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).filter { !$0.hasPrefix(".") }
        #expect(Set(directories) == Set(FuzzTarget.all.map(\.name)))
    }
}

/// The Kiwoom `REAL` scanner against the JSON-tree reference (`KiwoomTreeReference`) on the realtime fixtures and
/// thousands of deterministic mutations of them (bytes changed, dropped, doubled; members swapped; cuts): every
/// input must be read alike — the same records, or the same error. A disagreement stops the process with the input.
@Suite("Kiwoom scanner agrees with the tree reference")
struct KiwoomScannerAgreementTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../BrokerWireTests/Fixtures").standardizedFileURL

    @Test func fixturesAndTheirMutations() throws {
        let target = try #require(FuzzTarget.named("kiwoom-frame"))
        var lines: [[UInt8]] = []
        for name in ["kiwoom_real_messages.txt", "kiwoom_bad_messages.txt"] {
            let text = try String(contentsOf: Self.fixtures.appendingPathComponent(name), encoding: .utf8)
            lines += text.split(separator: "\n").map { Array($0.utf8) }
        }
        #expect(lines.count >= 10)
        let alphabet = Array(#"{}[]",: 0-+.\u"#.utf8) + [0x00, 0x1F, 0x80, 0xEC]
        var generator = SplitMix(seed: 2026)
        var inputs = 0
        for line in lines {
            run(target, line)
            for _ in 0..<400 {
                var bytes = line
                for _ in 0..<(1 + generator.next(3)) {
                    let at = generator.next(bytes.count)
                    switch generator.next(5) {
                    case 0: bytes[at] = alphabet[generator.next(alphabet.count)]
                    case 1: bytes.remove(at: at)
                    case 2: bytes.insert(alphabet[generator.next(alphabet.count)], at: at)
                    case 3: bytes = Array(bytes[..<at])
                    default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 1 + generator.next(40))], at: at)
                    }
                    if bytes.isEmpty { bytes = [UInt8(ascii: "{")] }
                }
                run(target, bytes)
                inputs += 1
            }
            for _ in 0..<200 {
                run(target, Self.withValueReshaped(line, &generator))
                inputs += 1
            }
        }
        #expect(inputs == lines.count * 600)
    }

    /// `line` with one field value (`"NN":"v"`) written in another of the shapes JSON allows or a broker might send.
    static func withValueReshaped(_ line: [UInt8], _ generator: inout SplitMix) -> [UInt8] {
        var values: [Range<Int>] = [] // the value's span, quotes included
        var index = 0
        while index + 3 < line.count {
            if line[index] == UInt8(ascii: "\""), line[index + 1] &- 48 < 10 {
                var end = index + 1
                while end < line.count, line[end] &- 48 < 10 { end += 1 }
                if end + 2 < line.count, line[end] == UInt8(ascii: "\""), line[end + 1] == UInt8(ascii: ":"), line[end + 2] == UInt8(ascii: "\"") {
                    var close = end + 3
                    while close < line.count, line[close] != UInt8(ascii: "\"") { close += 1 }
                    if close < line.count { values.append(end + 2..<close + 1) }
                    index = close
                }
            }
            index += 1
        }
        guard !values.isEmpty else { return line }
        let span = values[generator.next(values.count)]
        let value = String(decoding: line[span.lowerBound + 1..<span.upperBound - 1], as: UTF8.self)
        let digits = value.filter(\.isNumber)
        let shapes = [
            "\" \(value) \"", "\"\(value)  \"", "\(digits.isEmpty ? "0" : digits)", "-\(digits.isEmpty ? "0" : digits)", "null", "\"\"", "\"   \"",
            "\"\\u00\(String(value.utf8.first ?? 48, radix: 16))\(value.dropFirst())\"", "true", "{}", "[\"\(value)\"]",
            "\"+\(value)\"", "\"\(value).5\"", "\"0\(value)\"", "\"\(value)\(value)\(value)\"", "\"\(value)x\"", "1e3", "-0.0",
        ]
        var reshaped = line
        reshaped.replaceSubrange(span, with: Array(shapes[generator.next(shapes.count)].utf8))
        return reshaped
    }

    private func run(_ target: FuzzTarget, _ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { target.run($0) }
    }

    /// A small deterministic generator (SplitMix64).
    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(max(bound, 1)))
        }
    }
}
