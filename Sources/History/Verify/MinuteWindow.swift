import BrokerCore
import Foundation

/// The minutes verified on a trading day: KST seconds of day on minute boundaries, `from` inclusive, `to` exclusive.
public struct MinuteWindow: Sendable, Hashable {
    public var from: Int
    public var to: Int

    public init(from: Int, to: Int) {
        self.from = from - from % 60
        self.to = to - to % 60
    }

    /// The regular session, 09:00–15:30.
    public static let session = MinuteWindow(from: 9 * 3600, to: 15 * 3600 + 30 * 60)

    /// Start of the session's last minute (15:29): a broker candle there is final once the session is over.
    static let lastMinute = 15 * 3600 + 29 * 60

    public var isEmpty: Bool { to <= from }

    /// Minute starts in the window, ascending.
    public var minutes: StrideTo<Int> { stride(from: from, to: to, by: 60) }

    public var fromLabel: String { Self.label(from) }
    public var toLabel: String { Self.label(to) }

    /// `HH:MM` of a second of day.
    public static func label(_ second: Int) -> String {
        String(KST.clock(second, separator: ":").prefix(5))
    }

    /// A KST time of day as `HH:MM` (or `HHMM`), in seconds; nil when it is not one.
    public static func parse(_ text: String) -> Int? {
        let digits = text.replacingOccurrences(of: ":", with: "")
        guard digits.count == 4, digits.allSatisfy(\.isASCII), let value = Int(digits) else { return nil }
        let hour = value / 100, minute = value % 100
        guard (0..<24).contains(hour), (0..<60).contains(minute) else { return nil }
        return hour * 3600 + minute * 60
    }
}
