import Foundation

/// Joins a message that arrived split across two WebSocket frames: a frame that does not parse is held;
/// if the next one parses only when joined to it, both are reported as `fragmented` and the joined message
/// is used, otherwise the held frame is reported `malformed`. Never drops a frame without an output.
struct FrameAssembler: Sendable {
    private var held: (text: String, reason: String, at: Date)?

    /// How long a failed frame waits for its second half.
    var holdLimit: TimeInterval = 1

    mutating func accept<Message>(_ text: String, at now: Date, parse: (String) throws -> Message) -> (Message?, [SessionOutput]) {
        do {
            let message = try parse(text)
            return (message, flush())
        } catch {
            let reason = String(describing: error)
            guard let previous = held else {
                held = (text, reason, now)
                return (nil, [])
            }
            held = nil
            if let joined = try? parse(previous.text + text) {
                return (joined, [.fragmented(parts: [previous.text, text])])
            }
            held = (text, reason, now)
            return (nil, [.malformed(raw: previous.text, reason: previous.reason)])
        }
    }

    /// Reports a held frame as malformed once its second half is overdue.
    mutating func expire(now: Date) -> [SessionOutput] {
        guard let previous = held, now.timeIntervalSince(previous.at) >= holdLimit else { return [] }
        return flush()
    }

    /// Reports any held frame as malformed.
    mutating func flush() -> [SessionOutput] {
        guard let previous = held else { return [] }
        held = nil
        return [.malformed(raw: previous.text, reason: previous.reason)]
    }
}
