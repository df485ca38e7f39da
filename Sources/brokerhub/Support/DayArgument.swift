import ArgumentParser
import BrokerCore
import Foundation
import History

/// A trading day named on the command line for minute data (`verify`, `backfill`): today by default; refused with a
/// reason when it is to come, a day the exchange was closed, or older than the broker keeps minute candles.
enum DayArgument {
    static func minuteDay(_ text: String?, provider: Provider, today: KSTDate = KSTDate(Date()), calendar: KRXCalendar = KRXCalendar()) throws -> KSTDate {
        guard let day = text.map({ KSTDate($0) }) ?? today else { throw ValidationError("--day must be YYYYMMDD") }
        guard day <= today else { throw ValidationError("--day \(day.compact) is in the future (today is \(today.compact) KST)") }
        guard calendar.isTradingDay(day) else { throw ValidationError("--day \(day.compact) is not a trading day (KRX closed: weekend or holiday)") }
        let kept = HistoryPlan.minuteRetentionDays
        guard today.daysSinceEpoch - day.daysSinceEpoch <= kept else {
            throw ValidationError("--day \(day.compact) is older than \(provider.rawValue) keeps minute candles (about \(kept) days)")
        }
        return day
    }
}
