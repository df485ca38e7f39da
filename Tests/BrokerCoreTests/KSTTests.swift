import BrokerCore
import Foundation
import Testing

@Suite("KST time", .timeLimit(.minutes(5)))
struct KSTTests {
    @Test func convertsWallClockToInstant() {
        let date = KSTDate(year: 2023, month: 6, day: 12)!
        let instant = KST.instant(date, hour: 9, minute: 33, second: 54)
        // 09:33:54 KST is 00:33:54 UTC.
        #expect(instant.timeIntervalSince1970 == 1_686_530_034)
        #expect(KST.iso8601(instant) == "2023-06-12T09:33:54+09:00")
        #expect(KSTDate(instant) == date)
    }

    @Test func crossesMidnightInKST() {
        // 2025-01-01 15:30 UTC is already 2025-01-02 00:30 KST.
        let instant = Date(timeIntervalSince1970: 1_735_745_400)
        #expect(KSTDate(instant) == KSTDate(year: 2025, month: 1, day: 2))
        #expect(KST.secondOfDay(instant) == 30 * 60)
    }

    @Test func showsMillisecondsWhenPresent() {
        let instant = Date(timeIntervalSince1970: 1_686_530_034.25)
        #expect(KST.iso8601(instant) == "2023-06-12T09:33:54.250+09:00")
    }

    @Test func parsesBrokerTimestamps() throws {
        let kiwoom = try #require(KST.parseCompactDateTime("20241107083713"))
        #expect(KST.iso8601(kiwoom) == "2024-11-07T08:37:13+09:00")
        let kis = try #require(KST.parseDashedDateTime("2023-12-22 08:16:59"))
        #expect(KST.compactDateTime(kis) == "20231222081659")
        #expect(KST.parseCompactDateTime("20241307083713") == nil)
        #expect(KST.parseCompactDateTime("2024110708371") == nil)
        #expect(KST.parseCompactDateTime("20241107256000") == nil)
    }

    @Test func datesRoundTripAndKnowWeekdays() throws {
        let date = try #require(KSTDate("20250908"))
        #expect(date.isoWeekday == 1) // Monday
        #expect(date.compact == "20250908")
        #expect(date.description == "2025-09-08")
        #expect(KSTDate(daysSinceEpoch: date.daysSinceEpoch) == date)
        #expect(KSTDate("2024-02-29") != nil)
        #expect(KSTDate("20230229") == nil)
        #expect(KSTDate("2025090") == nil)
        #expect(date.adding(days: -1).isoWeekday == 7)
        #expect(KSTDate(year: 1970, month: 1, day: 1)!.daysSinceEpoch == 0)
    }

    /// Issue #18 item 2: instants built from hostile broker values never trap a conversion.
    @Test(arguments: [9.2e21, -9.2e21, 1e300, -1e300, Double.infinity, -Double.infinity, Double.nan, 9.2e18])
    func hostileInstantsDoNotTrap(seconds: Double) {
        let instant = Date(timeIntervalSince1970: seconds)
        #expect(!KST.iso8601(instant).isEmpty)
        #expect((0..<86_400).contains(KST.secondOfDay(instant)))
        _ = KSTDate(instant)
    }
}
