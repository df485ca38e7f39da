import ArgumentParser
import BrokerCore
import Foundation
import History

/// The provider, trading day and minute window `verify` checks (and `backfill` without a report): the day refused
/// with its reason (`DayArgument`), the window's edges as KST `HH:MM` or found from the stored trades.
struct DayWindowOptions: ParsableArguments {
    @Option(help: "kis or kiwoom.")
    var provider: Provider = .kis

    @Option(help: "The trading day, YYYYMMDD (KST; default today).")
    var day: String?

    @Option(help: "Start of the window: HH:MM (KST) or first-trade (the first minute collected whole).")
    var from: String = "09:00"

    @Option(help: "End of the window (exclusive): HH:MM (KST) or last-trade (the minute of the latest stored trade).")
    var to: String = "15:30"

    func validate() throws {
        if let day, KSTDate(day) == nil { throw ValidationError("--day must be YYYYMMDD, got \(day.prefix(20))") }
        guard fromBound != nil else { throw ValidationError("--from must be HH:MM or first-trade, got \(from.prefix(20))") }
        guard toBound != nil else { throw ValidationError("--to must be HH:MM or last-trade, got \(to.prefix(20))") }
    }

    var fromBound: Verifier.Bound? { from == "first-trade" ? .firstTrade : MinuteWindow.parse(from).map { .at($0) } }
    var toBound: Verifier.Bound? { to == "last-trade" ? .lastTrade : MinuteWindow.parse(to).map { .at($0) } }

    /// The verifier's options for `symbols`, the day checked against the calendar and the broker's retention.
    func options(symbols: [String], tolerance: MinuteVerification.Tolerance = .init(), storeDerived: Bool = true) throws -> Verifier.Options {
        Verifier.Options(
            provider: provider, day: try DayArgument.minuteDay(day, provider: provider), symbols: symbols, from: fromBound!, to: toBound!,
            tolerance: tolerance, storeDerived: storeDerived
        )
    }
}
