import BrokerCore
import BrokerWire
import Foundation
import MockMarket

/// How far a realtime subscription has been fed: trades of one session day already sent.
struct TradeCursor: Sendable {
    var day: KSTDate?
    var sent = 0
}

extension MockBroker {
    /// The session of `symbol` at market time `now` and how many of its trades have happened by then.
    func liveSession(_ symbol: MockSymbol, at now: Date) -> (IntradaySession, Int)? {
        let today = KSTDate(now)
        guard let day = market.sessionDay(onOrBefore: today), let session = market.session(symbol, on: day) else { return nil }
        return (session, day == today ? session.tradeCount(through: KST.secondOfDay(now)) : session.tradeCount)
    }

    /// A cursor positioned at `now`, so that only later trades are sent.
    func cursor(for symbol: MockSymbol, at now: Date) -> TradeCursor {
        guard let (session, count) = liveSession(symbol, at: now) else { return TradeCursor() }
        return TradeCursor(day: session.date, sent: count)
    }

    /// Trades since the cursor, advancing it; a new session day starts from its first trade.
    func advance(_ cursor: inout TradeCursor, symbol: MockSymbol, at now: Date) -> (IntradaySession, Range<Int>)? {
        guard let (session, count) = liveSession(symbol, at: now) else { return nil }
        if cursor.day != session.date {
            cursor = TradeCursor(day: session.date, sent: 0)
        }
        guard count > cursor.sent else { return nil }
        let range = cursor.sent..<count
        cursor.sent = count
        return (session, range)
    }

    /// Stream mode: the next `count` trades after the cursor in order, continuing into the following trading
    /// days when a day runs out (halted days have none), advancing it. Empty past the simulated history.
    func streamTrades(_ cursor: inout TradeCursor, symbol: MockSymbol, count: Int) -> [(IntradaySession, Range<Int>)] {
        var segments: [(IntradaySession, Range<Int>)] = []
        var remaining = count
        var day = cursor.day ?? market.sessionDay(onOrBefore: KSTDate(marketNow))
        var emptyDays = 0
        while remaining > 0, let current = day, emptyDays < 30, let session = market.session(symbol, on: current) {
            if cursor.day != current { cursor = TradeCursor(day: current, sent: 0) }
            let take = min(session.tradeCount - cursor.sent, remaining)
            if take > 0 {
                segments.append((session, cursor.sent..<cursor.sent + take))
                cursor.sent += take
                remaining -= take
                emptyDays = 0
            } else {
                day = market.calendar.nextTradingDay(after: current)
                emptyDays += 1
            }
        }
        return segments
    }

    /// Applies the frame faults to one outgoing realtime message: malformed (trailing fields dropped until a
    /// parser must refuse it) and fragmented (split in two messages).
    func faulted(_ provider: Provider, _ message: String) -> [String] {
        let faults = self.faults
        var text = message
        if fires(faults.malformedFrameRate) {
            stats.fault(provider, "malformed_frame")
            text = Self.truncated(text, provider: provider)
        }
        if fires(faults.fragmentedFrameRate), text.count > 2 {
            stats.fault(provider, "fragmented_frame")
            let middle = text.index(text.startIndex, offsetBy: text.count / 2)
            return [String(text[..<middle]), String(text[middle...])]
        }
        return [text]
    }

    /// `message` without its last field, or more: a one-record KIS frame of 47 fields less one is a valid
    /// 46-field frame (the layouts differ only in width), so KIS frames lose fields until they no longer parse.
    static func truncated(_ message: String, provider: Provider) -> String {
        var text = message
        for _ in 0..<4 {
            guard let cut = text.lastIndex(of: provider == .kis ? "^" : ",") else { break }
            text = String(text[..<cut])
            guard provider == .kis, (try? KISRealtimeParser.parse(text, receivedAt: Date())) != nil else { break }
        }
        return text
    }
}
