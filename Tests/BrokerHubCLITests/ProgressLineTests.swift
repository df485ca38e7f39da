@testable import brokerhub
import Testing

/// Issue #16 item 4: progress on a terminal is one live line; piped it is plain lines with no control character.
@Suite("Progress line")
struct ProgressLineTests {
    @Test func theTextSaysDoneTotalRateAndTimeLeft() {
        let text = ProgressLine.text(label: "history", done: 30, total: 120, unit: "symbols", elapsed: 15, detail: "4,210 candles", bar: true)
        #expect(text == "history [#####---------------] 30/120 symbols (25 %), 2.0 symbols/s, ETA 0:45 · 4,210 candles", "\(text)")
        let start = ProgressLine.text(label: "x", done: 0, total: 10, unit: "s", elapsed: 0, detail: "", bar: false)
        #expect(start == "x 0/10 s (0 %), 0.0 s/s, ETA –", "\(start)")
    }

    @Test func aTerminalGetsOneLineRewrittenAPipePlainLinesNowAndThen() throws {
        var terminal = ProgressLine(label: "demo", total: 60, unit: "s", terminal: true)
        let update = terminal.update(done: 5, elapsed: 5)
        let live = try #require(update)
        #expect(live.hasPrefix("\r") && live.hasSuffix("\u{1B}[K") && !live.contains("\n"))
        #expect(terminal.finish() == "\n")

        var piped = ProgressLine(label: "demo", total: 60, unit: "s", terminal: false, every: 10)
        var written: [String] = []
        for second in 0...60 { if let line = piped.update(done: Double(second), elapsed: Double(second)) { written.append(line) } }
        #expect(written.count == 7, "at 0, 10, … 60 s: \(written)")
        #expect(written.allSatisfy { line in line.hasSuffix("\n") && !line.dropLast().unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } })
        #expect(piped.finish() == nil)
    }
}
