import BrokerCore
import Foundation
import Testing

private func day(_ text: String) -> KSTDate {
    guard let date = KSTDate(text) else { fatalError("bad test date \(text)") }
    return date
}

/// A KST wall-clock instant.
private func at(_ date: String, _ hour: Int, _ minute: Int, _ second: Int = 0) -> Date {
    KST.instant(day(date), hour: hour, minute: minute, second: second)
}

/// A wall-clock time and the phase expected at it.
struct PhaseCase: Sendable, CustomTestStringConvertible {
    var hour: Int, minute: Int, second: Int
    var phase: MarketPhase
    init(_ hour: Int, _ minute: Int, _ second: Int, _ phase: MarketPhase) {
        (self.hour, self.minute, self.second, self.phase) = (hour, minute, second, phase)
    }
    var testDescription: String { String(format: "%02d:%02d:%02d → %@", hour, minute, second, phase.rawValue) }
}

@Suite("KRXCalendar", .timeLimit(.minutes(5)))
struct KRXCalendarTests {
    let calendar = KRXCalendar()

    // MARK: Phases

    /// 2026-03-10 is an ordinary Tuesday.
    @Test("Ordinary day phase boundaries", arguments: [
        PhaseCase(0, 0, 0, .closed),
        PhaseCase(8, 29, 59, .closed),
        PhaseCase(8, 30, 0, .preMarket),
        PhaseCase(8, 59, 59, .preMarket),
        PhaseCase(9, 0, 0, .regular),
        PhaseCase(12, 0, 0, .regular),
        PhaseCase(15, 29, 59, .regular),
        PhaseCase(15, 30, 0, .closed),
        PhaseCase(15, 39, 59, .closed),
        PhaseCase(15, 40, 0, .afterHours),
        PhaseCase(17, 59, 59, .afterHours),
        PhaseCase(18, 0, 0, .closed),
        PhaseCase(23, 59, 59, .closed),
    ])
    func ordinaryDayPhases(_ c: PhaseCase) {
        #expect(day("2026-03-10").isoWeekday == 2)
        let instant = at("2026-03-10", c.hour, c.minute, c.second)
        #expect(calendar.phase(at: instant) == c.phase)
        #expect(calendar.isRegularSession(at: instant) == (c.phase == .regular))
    }

    @Test func fractionalSecondsBeforeCloseAreStillRegular() {
        let instant = at("2026-03-10", 15, 29, 59).addingTimeInterval(0.999)
        #expect(calendar.phase(at: instant) == .regular)
        #expect(calendar.phase(at: at("2026-03-10", 8, 29, 59).addingTimeInterval(0.5)) == .closed)
    }

    /// 2026-01-02 (Friday) is the first trading day of 2026: pre-market and the regular open move one hour later.
    @Test("First trading day of 2026 opens at 10:00", arguments: [
        PhaseCase(8, 30, 0, .closed),
        PhaseCase(9, 0, 0, .closed),
        PhaseCase(9, 29, 59, .closed),
        PhaseCase(9, 30, 0, .preMarket),
        PhaseCase(9, 59, 59, .preMarket),
        PhaseCase(10, 0, 0, .regular),
        PhaseCase(15, 29, 59, .regular),
        PhaseCase(15, 30, 0, .closed),
        PhaseCase(15, 40, 0, .afterHours),
        PhaseCase(18, 0, 0, .closed),
    ])
    func firstTradingDayPhases(_ c: PhaseCase) {
        #expect(calendar.phase(at: at("2026-01-02", c.hour, c.minute, c.second)) == c.phase)
    }

    @Test func firstTradingDayOfEachYear() throws {
        #expect(calendar.isFirstTradingDayOfYear(day("2025-01-02")))
        #expect(calendar.isFirstTradingDayOfYear(day("2026-01-02")))
        #expect(!calendar.isFirstTradingDayOfYear(day("2026-01-05")))
        #expect(!calendar.isFirstTradingDayOfYear(day("2026-01-01")))
        // 2027: Jan 1 is a Friday holiday, then a weekend.
        #expect(calendar.isFirstTradingDayOfYear(day("2027-01-04")))
        let session = try #require(calendar.regularSession(on: day("2026-01-02")))
        #expect(session.lowerBound == at("2026-01-02", 10, 0))
        #expect(session.upperBound == at("2026-01-02", 15, 30))
        let session2027 = try #require(calendar.regularSession(on: day("2027-01-04")))
        #expect(session2027.lowerBound == at("2027-01-04", 10, 0))
    }

    /// CSAT day 2025-11-13: regular 10:00–16:30, pre-market 09:30–10:00, after-hours 16:40–18:00.
    @Test("CSAT day shifts the session", arguments: [
        PhaseCase(8, 30, 0, .closed),
        PhaseCase(9, 0, 0, .closed),
        PhaseCase(9, 30, 0, .preMarket),
        PhaseCase(9, 59, 59, .preMarket),
        PhaseCase(10, 0, 0, .regular),
        PhaseCase(15, 30, 0, .regular),
        PhaseCase(16, 29, 59, .regular),
        PhaseCase(16, 30, 0, .closed),
        PhaseCase(16, 39, 59, .closed),
        PhaseCase(16, 40, 0, .afterHours),
        PhaseCase(17, 59, 59, .afterHours),
        PhaseCase(18, 0, 0, .closed),
    ])
    func csatPhases(_ c: PhaseCase) {
        #expect(calendar.phase(at: at("2025-11-13", c.hour, c.minute, c.second)) == c.phase)
    }

    @Test(arguments: ["2025-11-13", "2026-11-19", "2027-11-18"])
    func csatRegularSession(_ date: String) throws {
        #expect(KRXSessionHours.builtInCSATDays.contains(day(date)))
        let session = try #require(calendar.regularSession(on: day(date)))
        #expect(session.lowerBound == at(date, 10, 0))
        #expect(session.upperBound == at(date, 16, 30))
    }

    @Test func dayAfterCSATIsOrdinary() throws {
        let session = try #require(calendar.regularSession(on: day("2026-11-20")))
        #expect(session.lowerBound == at("2026-11-20", 9, 0))
        #expect(session.upperBound == at("2026-11-20", 15, 30))
    }

    // MARK: Trading days

    @Test(arguments: ["2026-03-07", "2026-03-08", "2025-12-27", "2027-09-26"])
    func weekendsAreClosed(_ date: String) {
        #expect(day(date).isWeekend)
        #expect(!calendar.isTradingDay(day(date)))
        #expect(calendar.phase(at: at(date, 10, 0)) == .closed)
        #expect(calendar.regularSession(on: day(date)) == nil)
    }

    @Test("Holidays and substitute holidays are closed", arguments: [
        "2025-01-01", "2025-01-27", "2025-01-29", "2025-03-03", "2025-05-01", "2025-05-06",
        "2025-06-03", "2025-10-08", "2025-12-31",
        "2026-01-01", "2026-02-17", "2026-03-02", "2026-05-25", "2026-06-03", "2026-08-17",
        "2026-09-24", "2026-10-05", "2026-12-31",
        "2027-02-08", "2027-02-09", "2027-05-13", "2027-08-16", "2027-09-15", "2027-10-04",
        "2027-10-11", "2027-12-27",
    ])
    func holidaysAreClosed(_ date: String) {
        #expect(!day(date).isWeekend)
        #expect(!calendar.isTradingDay(day(date)))
        #expect(calendar.phase(at: at(date, 10, 0)) == .closed)
        #expect(calendar.regularSession(on: day(date)) == nil)
        #expect(calendar.holidayName(on: day(date)) != nil)
    }

    @Test("Days next to holidays trade", arguments: [
        "2025-01-24", "2025-01-31", "2025-06-02", "2025-10-02", "2025-12-30",
        "2026-01-02", "2026-02-19", "2026-09-23", "2026-12-30",
        "2027-01-04", "2027-02-10", "2027-05-03", "2027-12-28", "2027-12-30",
    ])
    func daysNextToHolidaysTrade(_ date: String) {
        #expect(calendar.isTradingDay(day(date)))
        #expect(calendar.holidayName(on: day(date)) == nil)
    }

    @Test func builtInTable() {
        #expect(KRXHolidays.builtIn.count == 49)
        #expect(KRXHolidays.named.count == KRXHolidays.builtIn.count)
        #expect(KRXHolidays.named.map(\.date) == KRXHolidays.named.map(\.date).sorted())
        for (date, name) in KRXHolidays.named {
            #expect(!date.isWeekend, "\(date) \(name) is a weekend")
            #expect(KRXHolidays.builtInYears.contains(date.year))
            #expect(!name.isEmpty)
        }
        #expect(KRXHolidays.name(of: day("2026-05-25"))?.contains("Buddha") == true)
        #expect(KRXHolidays.name(of: day("2026-05-26")) == nil)
    }

    @Test func tradingDaysPerYearMatchKRX() {
        #expect(calendar.tradingDays(from: day("2025-01-01"), through: day("2025-12-31")).count == 242)
        #expect(calendar.tradingDays(from: day("2026-01-01"), through: day("2026-12-31")).count == 245)
        #expect(calendar.tradingDays(from: day("2027-01-01"), through: day("2027-12-31")).count == 247)
    }

    @Test func tradingDaysOfAMonth() {
        let february = calendar.tradingDays(from: day("2026-02-01"), through: day("2026-02-28"))
        #expect(february.count == 17) // 20 weekdays minus Seollal 16–18
        #expect(february.first == day("2026-02-02"))
        #expect(february.last == day("2026-02-27"))
        #expect(february == february.sorted())
        #expect(!february.contains(day("2026-02-17")))
        #expect(calendar.tradingDays(from: day("2025-10-01"), through: day("2025-10-31")).count == 18)
    }

    @Test func tradingDaysBoundsAreInclusive() {
        #expect(calendar.tradingDays(from: day("2026-03-10"), through: day("2026-03-10")) == [day("2026-03-10")])
        #expect(calendar.tradingDays(from: day("2026-03-10"), through: day("2026-03-12")).count == 3)
        #expect(calendar.tradingDays(from: day("2026-03-12"), through: day("2026-03-10")).isEmpty)
        #expect(calendar.tradingDays(from: day("2026-03-07"), through: day("2026-03-08")).isEmpty)
    }

    @Test func nextAndPreviousAcrossSeollal2026() {
        #expect(calendar.nextTradingDay(after: day("2026-02-13")) == day("2026-02-19"))
        #expect(calendar.nextTradingDay(after: day("2026-02-16")) == day("2026-02-19"))
        #expect(calendar.previousTradingDay(before: day("2026-02-19")) == day("2026-02-13"))
        #expect(calendar.previousTradingDay(before: day("2026-02-18")) == day("2026-02-13"))
    }

    @Test func nextAndPreviousAcrossYearEnd() {
        #expect(calendar.nextTradingDay(after: day("2025-12-30")) == day("2026-01-02"))
        #expect(calendar.previousTradingDay(before: day("2026-01-02")) == day("2025-12-30"))
        #expect(calendar.nextTradingDay(after: day("2026-12-30")) == day("2027-01-04"))
        #expect(calendar.previousTradingDay(before: day("2027-01-04")) == day("2026-12-30"))
        // Chuseok 2027 (Tue–Thu) plus the weekend.
        #expect(calendar.nextTradingDay(after: day("2027-09-13")) == day("2027-09-17"))
    }

    // MARK: Sessions

    @Test func regularSessionIsHalfOpen() throws {
        let session = try #require(calendar.regularSession(on: day("2026-03-10")))
        #expect(session.lowerBound == at("2026-03-10", 9, 0))
        #expect(session.upperBound == at("2026-03-10", 15, 30))
        #expect(session.contains(at("2026-03-10", 9, 0)))
        #expect(session.contains(at("2026-03-10", 15, 29, 59)))
        #expect(!session.contains(at("2026-03-10", 15, 30)))
        #expect(session.upperBound.timeIntervalSince(session.lowerBound) == 6.5 * 3600)
        // The regular session starts at 00:00 UTC.
        #expect(session.lowerBound == Date(timeIntervalSince1970: 1_773_100_800))
    }

    @Test func nextRegularOpen() {
        // Before the open: today's open.
        #expect(calendar.nextRegularOpen(after: at("2026-03-10", 8, 0)) == at("2026-03-10", 9, 0))
        // Exactly at or after the open: the next trading day's.
        #expect(calendar.nextRegularOpen(after: at("2026-03-10", 9, 0)) == at("2026-03-11", 9, 0))
        #expect(calendar.nextRegularOpen(after: at("2026-03-10", 16, 0)) == at("2026-03-11", 9, 0))
        // Across Seollal 2026 and the weekend before it.
        #expect(calendar.nextRegularOpen(after: at("2026-02-13", 15, 0)) == at("2026-02-19", 9, 0))
        #expect(calendar.nextRegularOpen(after: at("2026-02-14", 12, 0)) == at("2026-02-19", 9, 0))
        // Across the year end into the late first-day open.
        #expect(calendar.nextRegularOpen(after: at("2025-12-30", 15, 30)) == at("2026-01-02", 10, 0))
        // The CSAT day opens at 10:00.
        #expect(calendar.nextRegularOpen(after: at("2026-11-19", 9, 30)) == at("2026-11-19", 10, 0))
    }

    @Test func configurableHours() throws {
        let hours = KRXSessionHours(
            normal: .init(
                preMarket: KRXSessionHours.hms(8, 0)..<KRXSessionHours.hms(9, 0),
                regular: KRXSessionHours.hms(9, 0)..<KRXSessionHours.hms(15, 20),
                afterHours: KRXSessionHours.hms(15, 30)..<KRXSessionHours.hms(16, 0)
            ),
            lateOpenDelay: 0,
            csatDays: []
        )
        let custom = KRXCalendar(hours: hours)
        #expect(custom.phase(at: at("2026-03-10", 8, 0)) == .preMarket)
        #expect(custom.phase(at: at("2026-03-10", 15, 25)) == .closed)
        #expect(custom.phase(at: at("2026-03-10", 15, 30)) == .afterHours)
        #expect(custom.phase(at: at("2026-03-10", 16, 0)) == .closed)
        #expect(try #require(custom.regularSession(on: day("2026-01-02"))).lowerBound == at("2026-01-02", 9, 0))
        #expect(try #require(custom.regularSession(on: day("2025-11-13"))).lowerBound == at("2025-11-13", 9, 0))
        #expect(KRXSessionHours.default.normal == KRXSessionHours.defaultSchedule)
    }

    @Test func phaseRawValues() {
        #expect(MarketPhase.allCases.map(\.rawValue) == ["closed", "pre_market", "regular", "after_hours"])
        #expect(MarketPhase(rawValue: "after_hours") == .afterHours)
    }

    // MARK: Coverage

    @Test func coversBuiltInYearsOnly() {
        #expect(calendar.covers(year: 2025))
        #expect(calendar.covers(year: 2026))
        #expect(calendar.covers(year: 2027))
        #expect(!calendar.covers(year: 2024))
        #expect(!calendar.covers(year: 2028))
    }

    /// Outside the data only weekends are known: 2030-01-01 (Tuesday, New Year's Day) looks like a trading day.
    @Test func yearOutsideTheData() throws {
        #expect(!calendar.covers(year: 2030))
        #expect(calendar.isTradingDay(day("2030-01-01")))
        #expect(!calendar.isTradingDay(day("2030-01-05"))) // Saturday
        #expect(calendar.isFirstTradingDayOfYear(day("2030-01-01")))
        #expect(calendar.phase(at: at("2030-01-02", 9, 0)) == .regular)
        #expect(calendar.nextTradingDay(after: day("2030-01-04")) == day("2030-01-07"))
        #expect(calendar.tradingDays(from: day("2030-03-01"), through: day("2030-03-31")).count == 21)
    }

    // MARK: Holidays file

    @Test func parseGoodFile() throws {
        let text = """
        # KRX closures 2028
        \u{20}
        2028-01-03  New Year's Day (substitute)
        20280126\tSeollal   # trailing comment
        2028-01-27
        \r
        # 2028-12-29 Year-end closing (commented out)
        2028-04-12 National Assembly election\r
        """
        let entries = try KRXCalendar.parseHolidays(text, source: "test.txt")
        #expect(entries.map(\.0) == [day("2028-01-03"), day("2028-01-26"), day("2028-01-27"), day("2028-04-12")])
        #expect(entries.map(\.1) == ["New Year's Day (substitute)", "Seollal", "", "National Assembly election"])
    }

    @Test("Bad lines name the source and line", arguments: [
        ("2028-01-03\n2028-02-30 not a day\n", 2),
        ("# header\n\n2028/01/03\n", 3),
        ("2028-1-3\n", 1),
        ("2028--0103\n", 1),
        ("Seollal 2028-01-26\n", 1),
    ])
    func parseBadLine(_ text: String, _ line: Int) throws {
        let error = try #require(throws: BrokerHubError.self) {
            try KRXCalendar.parseHolidays(text, source: "holidays.txt")
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.hasPrefix("holidays.txt line \(line): "), "\(error.message)")
    }

    @Test func emptyFileParsesToNothing() throws {
        #expect(try KRXCalendar.parseHolidays("", source: "x").isEmpty)
        #expect(try KRXCalendar.parseHolidays("# only comments\n\n", source: "x").isEmpty)
    }

    @Test func byteOrderMarkIsIgnored() throws {
        let entries = try KRXCalendar.parseHolidays("\u{FEFF}2028-01-03 New Year\r\n", source: "x")
        #expect(entries.count == 1)
        #expect(entries.first?.0 == day("2028-01-03"))
        #expect(entries.first?.1 == "New Year")
    }

    @Test func loadFileExtendsTheCalendar() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("krx-holidays-\(UUID().uuidString).txt")
        try "# 2028\n2028-01-03 New Year\n2028-01-26 Seollal\n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }

        let loaded = try KRXCalendar.load(holidaysFile: url.path)
        #expect(loaded.covers(year: 2028))
        #expect(loaded.covers(year: 2026))
        #expect(!loaded.covers(year: 2029))
        #expect(!loaded.isTradingDay(day("2028-01-26")))
        #expect(loaded.holidayName(on: day("2028-01-26")) == "Seollal")
        #expect(!loaded.isTradingDay(day("2026-02-17"))) // base holidays kept
        #expect(loaded.isFirstTradingDayOfYear(day("2028-01-04")))
        #expect(calendar.isTradingDay(day("2028-01-26"))) // the base is unchanged

        let onlyFile = try KRXCalendar.load(holidaysFile: url.path, base: KRXCalendar(holidays: []))
        #expect(onlyFile.coveredYears == [2028])
        #expect(onlyFile.isTradingDay(day("2026-02-17")))
    }

    @Test func loadMissingFileThrows() throws {
        let path = "/nonexistent/krx-holidays-\(UUID().uuidString).txt"
        let error = try #require(throws: BrokerHubError.self) {
            try KRXCalendar.load(holidaysFile: path)
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains(path))
    }

    @Test func loadBadFileNamesThePath() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("krx-holidays-\(UUID().uuidString).txt")
        try "2028-01-03\n\n2028-13-01 bad month\n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = try #require(throws: BrokerHubError.self) {
            try KRXCalendar.load(holidaysFile: url.path)
        }
        #expect(error.message.hasPrefix("\(url.path) line 3: "), "\(error.message)")
    }
}
