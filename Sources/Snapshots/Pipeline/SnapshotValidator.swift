import BrokerCore
import Foundation

/// The first pipeline stage, pure: a snapshot has its required fields, values of the right sign and size,
/// a price inside the day's range and limits, and an exchange time inside the observed session.
public struct SnapshotValidator: Sendable {
    public var calendar: KRXCalendar
    public var hours: SnapshotHours
    /// How far outside the session an exchange time may lie (a cycle that started just before the close).
    public var sessionTolerance: Duration

    public init(calendar: KRXCalendar = KRXCalendar(), hours: SnapshotHours = .regular, sessionTolerance: Duration = .seconds(60)) {
        self.calendar = calendar
        self.hours = hours
        self.sessionTolerance = sessionTolerance
    }

    /// Nil when the snapshot may go on; otherwise the reason and what was wrong.
    public func validate(_ snapshot: ObservationSnapshot) -> (SnapshotRejection.Reason, String)? {
        let symbol = snapshot.symbol
        if symbol.isEmpty { return (.missingField, "symbol is empty") }
        if symbol.utf8.count > 12 || !symbol.utf8.allSatisfy({ ($0 &- 48) < 10 || ($0 &- 65) < 26 || ($0 &- 97) < 26 }) {
            return (.invalidValue, "symbol \(symbol.prefix(20)) is not a listed code")
        }
        if snapshot.price == 0 { return (.unknownSymbol, "price 0: the broker does not know \(symbol)") }
        if snapshot.price < 0 { return (.invalidValue, "price \(snapshot.price) is negative") }
        let statistics: [(String, Int64?)] = [
            ("open", snapshot.open), ("high", snapshot.high), ("low", snapshot.low), ("volume", snapshot.volume),
            ("trading value", snapshot.tradingValue), ("ask size", snapshot.askSize), ("bid size", snapshot.bidSize),
            ("ask price", snapshot.askPrice), ("bid price", snapshot.bidPrice),
        ]
        for (name, value) in statistics {
            if let value, value < 0 { return (.invalidValue, "\(name) \(value) is negative") }
        }
        if snapshot.high > 0, snapshot.low > 0 {
            if snapshot.low > snapshot.high { return (.invalidValue, "low \(snapshot.low) above high \(snapshot.high)") }
            if snapshot.price < snapshot.low || snapshot.price > snapshot.high {
                return (.invalidValue, "price \(snapshot.price) outside the day's range \(snapshot.low)–\(snapshot.high)")
            }
        }
        if let lower = snapshot.lowerLimit, let upper = snapshot.upperLimit, lower > 0, upper > 0 {
            if snapshot.price < lower || snapshot.price > upper {
                return (.outsideLimits, "price \(snapshot.price) outside the day's limits \(lower)–\(upper)")
            }
        }
        if hours != .always {
            let tolerance = sessionTolerance.timeInterval
            let inside = [0, -tolerance, tolerance].contains { hours.isOpen(at: snapshot.exchangeTime.addingTimeInterval($0), calendar: calendar) }
            if !inside {
                return (.outsideSession, "exchange time \(KST.iso8601(snapshot.exchangeTime)) is outside the \(hours) session")
            }
        }
        return nil
    }
}
