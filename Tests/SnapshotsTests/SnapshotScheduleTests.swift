import BrokerCore
import Foundation
import Snapshots
import Testing

/// Issue #14 item 2 and 7: market-hours gating (before the open, a session with no lunch break, after the close,
/// weekends, holidays), the cadence, and overruns reported instead of stacked — pure, on plain instants.
@Suite("Snapshot schedule")
struct SnapshotScheduleTests {
    let monday = KSTDate(year: 2025, month: 9, day: 8)!

    func at(_ date: KSTDate, _ hour: Int, _ minute: Int, _ second: Int = 0) -> Date { KST.instant(date, hour: hour, minute: minute, second: second) }

    @Test func beforeTheOpenItSleepsUntilNine() {
        var schedule = SnapshotSchedule(interval: .seconds(150), hours: .regular)
        #expect(schedule.next(now: at(monday, 8, 0)) == .sleep(until: at(monday, 9, 0), reason: "before the open"))
    }

    @Test func theWholeSessionRunsIncludingMidday() {
        for (hour, minute) in [(9, 0), (12, 0), (12, 30), (15, 29)] {
            var schedule = SnapshotSchedule(interval: .seconds(150), hours: .regular)
            let now = at(monday, hour, minute)
            #expect(schedule.next(now: now) == .run(cycle: 1, due: now), "\(hour):\(minute)")
        }
    }

    @Test func afterTheCloseItSleepsUntilTheNextTradingDay() {
        var schedule = SnapshotSchedule(interval: .seconds(150), hours: .regular)
        #expect(schedule.next(now: at(monday, 15, 30)) == .sleep(until: at(monday.adding(days: 1), 9, 0), reason: "after the close"))
        let friday = KSTDate(year: 2025, month: 9, day: 12)!
        #expect(schedule.next(now: at(friday, 16, 0)) == .sleep(until: at(monday.adding(days: 7), 9, 0), reason: "after the close"))
    }

    @Test func weekendsAndHolidaysSleepAndSaySo() {
        var schedule = SnapshotSchedule(interval: .seconds(150), hours: .regular)
        let saturday = KSTDate(year: 2025, month: 9, day: 13)!
        #expect(schedule.next(now: at(saturday, 10, 0)) == .sleep(until: at(monday.adding(days: 7), 9, 0), reason: "weekend"))
        // Chuseok 2025: Monday 10-06 to Thursday 10-09 closed (with 10-03, Friday, before it).
        let chuseok = KSTDate(year: 2025, month: 10, day: 6)!
        guard case .sleep(let until, let reason) = schedule.next(now: at(chuseok, 10, 0)) else {
            Issue.record("a holiday must sleep")
            return
        }
        #expect(reason == "holiday (Chuseok (추석))")
        #expect(until == at(KSTDate(year: 2025, month: 10, day: 10)!, 9, 0))
    }

    @Test func extendedHoursOpenWithThePreMarketSession() throws {
        var schedule = SnapshotSchedule(interval: .seconds(150), hours: .extended)
        let day = try #require(KRXCalendar().schedule(on: monday))
        let preMarket = day.preMarket.lowerBound
        let open = at(monday, preMarket / 3600, (preMarket / 60) % 60, preMarket % 60)
        #expect(schedule.next(now: at(monday, 6, 0)) == .sleep(until: open, reason: "before the pre-market session"))
        #expect(schedule.next(now: open) == .run(cycle: 1, due: open))
    }

    @Test func cyclesAreDueEveryIntervalFromTheFirst() {
        var schedule = SnapshotSchedule(interval: .seconds(1), hours: .always)
        let start = at(monday, 10, 0)
        #expect(schedule.next(now: start) == .run(cycle: 1, due: start))
        let report = schedule.finished(at: start.addingTimeInterval(0.3))
        #expect(report?.lag == 0 && report?.overran == false && report?.nextDue == start.addingTimeInterval(1))
        #expect(abs((report?.duration ?? 0) - 0.3) < 1e-6)
        #expect(schedule.next(now: start.addingTimeInterval(0.3)) == .wait(until: start.addingTimeInterval(1)))
        // Started late: the lag is reported, the next cycle keeps the original grid.
        #expect(schedule.next(now: start.addingTimeInterval(1.2)) == .run(cycle: 2, due: start.addingTimeInterval(1)))
        let late = schedule.finished(at: start.addingTimeInterval(1.5))
        #expect(abs((late?.lag ?? 0) - 0.2) < 1e-6 && late?.nextDue == start.addingTimeInterval(2))
    }

    @Test func aCycleThatOverrunsSkipsTheSlotsItRanIntoAndReportsThem() {
        var schedule = SnapshotSchedule(interval: .seconds(2), hours: .always)
        let start = at(monday, 10, 0)
        _ = schedule.next(now: start)
        let report = schedule.finished(at: start.addingTimeInterval(5.5))
        #expect(report?.overran == true && report?.skipped == 2 && report?.nextDue == start.addingTimeInterval(6))
        #expect(schedule.next(now: start.addingTimeInterval(5.5)) == .wait(until: start.addingTimeInterval(6)))
        #expect(schedule.next(now: start.addingTimeInterval(6)) == .run(cycle: 2, due: start.addingTimeInterval(6)))
        #expect(schedule.finished(at: start.addingTimeInterval(6.1))?.overran == false)
    }

    @Test func aCycleDueAfterTheCloseWaitsForTheNextOpen() {
        var schedule = SnapshotSchedule(interval: .seconds(150), hours: .regular)
        let late = at(monday, 15, 29)
        _ = schedule.next(now: late)
        _ = schedule.finished(at: late.addingTimeInterval(5))
        #expect(schedule.next(now: late.addingTimeInterval(150)) == .sleep(until: at(monday.adding(days: 1), 9, 0), reason: "after the close"))
        #expect(schedule.next(now: at(monday.adding(days: 1), 9, 0)) == .run(cycle: 2, due: at(monday.adding(days: 1), 9, 0)))
    }
}
