import Foundation

/// Line output to standard output, written in large chunks.
struct OutputBuffer {
    private var pending = ""
    private let limit = 1 << 16

    mutating func line(_ text: String) {
        pending += text
        pending += "\n"
        if pending.utf8.count >= limit { flush() }
    }

    mutating func flush() {
        guard !pending.isEmpty else { return }
        FileHandle.standardOutput.write(Data(pending.utf8))
        pending = ""
    }
}
