import Foundation

/// Progress of long work for a person: on a terminal one line rewritten in place (`\r`, cleared to the end),
/// with done/total, a bar, the rate and the time left; when the output is piped or a file, a plain line now
/// and then (`every`) without any control character, so logs stay clean.
struct ProgressLine {
    /// Whether standard output is a terminal.
    static var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    let label: String
    let total: Double
    let unit: String
    let terminal: Bool
    /// Seconds between two plain lines when not on a terminal.
    let every: Double
    private var lastPlain: Double = -.infinity

    init(label: String, total: Double, unit: String, terminal: Bool = ProgressLine.standardOutputIsTerminal, every: Double = 10) {
        self.label = label
        self.total = max(total, 0)
        self.unit = unit
        self.terminal = terminal
        self.every = every
    }

    /// The text for `done` of `total` after `elapsed` seconds, with an optional detail (pure).
    static func text(label: String, done: Double, total: Double, unit: String, elapsed: Double, detail: String, bar: Bool) -> String {
        let fraction = total > 0 ? min(1, max(0, done / total)) : 0
        let rate = elapsed > 0 ? done / elapsed : 0
        let left = rate > 0 ? max(0, (total - done) / rate) : nil
        var text = "\(label) "
        if bar {
            let width = 20
            let filled = Int((fraction * Double(width)).rounded(.down))
            text += "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
        }
        text += "\(format(done))/\(format(total)) \(unit) (\(Int((fraction * 100).rounded(.down))) %)"
        text += String(format: ", %.1f %@/s", rate, unit as NSString)
        text += ", " + (left.map { "ETA \(clock($0))" } ?? "ETA –")
        if !detail.isEmpty { text += " · " + detail }
        return text
    }

    /// What to write now for `done` (nil when nothing is due: a plain line is written at most every `every` s).
    mutating func update(done: Double, elapsed: Double, detail: String = "") -> String? {
        let line = Self.text(label: label, done: done, total: total, unit: unit, elapsed: elapsed, detail: detail, bar: terminal)
        if terminal { return "\r" + line + "\u{1B}[K" }
        guard elapsed - lastPlain >= every || done >= total else { return nil }
        lastPlain = elapsed
        return line + "\n"
    }

    /// The end of the progress: a terminal's line is finished with a newline.
    func finish() -> String? { terminal ? "\n" : nil }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    /// `m:ss` or `h:mm:ss`, rounded up; `–` for a time that cannot be told.
    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "–" }
        let whole = Int(seconds.rounded(.up))
        return whole >= 3600 ? String(format: "%d:%02d:%02d", whole / 3600, whole % 3600 / 60, whole % 60) : String(format: "%d:%02d", whole / 60, whole % 60)
    }
}
