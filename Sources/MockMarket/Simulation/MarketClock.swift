import BrokerCore
import Foundation

/// Maps wall-clock time to simulated market time: real time, accelerated, and/or held open.
///
/// Held open, simulated time runs only through regular sessions: after 15:30 it continues at 09:00 of the
/// next trading day, so ticks flow whatever the wall clock says.
public struct MarketClock: Sendable {
    public var speed: Double
    public var alwaysOpen: Bool
    public let wallStart: Date
    public let simulatedStart: Date
    let calendar: KRXCalendar

    /// - Parameters:
    ///   - start: simulated time at `wallStart`; held open, it is moved into a regular session (the last
    ///     session's 10:00 when it falls outside one).
    public init(start: Date, speed: Double = 1, alwaysOpen: Bool = false, calendar: KRXCalendar = KRXCalendar(), wallStart: Date = Date()) {
        self.speed = speed
        self.alwaysOpen = alwaysOpen
        self.calendar = calendar
        self.wallStart = wallStart
        if alwaysOpen {
            let date = KSTDate(start)
            let second = KST.secondOfDay(start)
            let inSession = calendar.isTradingDay(date) && second >= IntradaySession.sessionStart
                && second < IntradaySession.sessionStart + IntradaySession.sessionLength
            if inSession {
                simulatedStart = start
            } else {
                let day = calendar.isTradingDay(date) && second >= IntradaySession.sessionStart ? date : calendar.previousTradingDay(before: date)
                simulatedStart = KST.instant(day, hour: 10, minute: 0, second: 0)
            }
        } else {
            simulatedStart = start
        }
    }

    /// Simulated time at a wall-clock instant.
    public func simulated(at wall: Date = Date()) -> Date {
        let elapsed = max(0, wall.timeIntervalSince(wallStart)) * speed
        guard alwaysOpen else { return simulatedStart.addingTimeInterval(elapsed) }
        let startDay = KSTDate(simulatedStart)
        var offset = simulatedStart.timeIntervalSince(KST.instant(startDay, hour: 9, minute: 0, second: 0)) + elapsed
        var day = startDay
        let length = Double(IntradaySession.sessionLength)
        while offset >= length {
            offset -= length
            day = calendar.nextTradingDay(after: day)
        }
        return KST.instant(day, hour: 9, minute: 0, second: 0).addingTimeInterval(offset)
    }
}
