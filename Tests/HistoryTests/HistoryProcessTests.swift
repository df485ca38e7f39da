import Archiver
import BrokerCore
import BrokerWire
import Foundation
import ProcessTestSupport
import Testing

/// Issue #13 item 2: `brokerhub history` as a process through a hub process on the mock, into a SQLite archive —
/// complete, idempotent, resumable after `kill -9` without refetching what it stored, and clear about bad input.
@Suite("brokerhub history", .timeLimit(.minutes(5)), .serialized)
struct HistoryProcessTests {
    static let symbols = ["005930", "000660", "035420", "005380", "051910", "006400"]

    /// The last five KST trading days before today, as --from/--to.
    static func pastWeek() -> (from: String, to: String) {
        let calendar = KRXCalendar()
        let yesterday = calendar.previousTradingDay(before: KSTDate(Date()))
        var first = yesterday
        for _ in 0..<4 { first = calendar.previousTradingDay(before: first) }
        return (first.compact, yesterday.compact)
    }

    static func history(_ stack: HubStack, _ arguments: [String], archive: String) async throws -> (status: Int32, output: String) {
        try await ServerProcess.run(
            ["history", "--hub", stack.hub.url, "--sink", "sqlite:" + archive] + arguments, directory: stack.mock.directory
        )
    }

    static func lines(_ output: String, _ kind: String) -> [String] { output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("{\"\(kind)\"") } }

    @Test func collectsResumesAfterAKillAndAddsNothingTwice() async throws {
        try await HubStack.with { stack in
            let archive = stack.mock.directory.appendingPathComponent("history.sqlite").path
            let week = Self.pastWeek()
            let arguments = ["--symbols", Self.symbols.joined(separator: ","), "--interval", "1m", "--from", week.from, "--to", week.to, "--concurrency", "1"]

            // The plan: 6 symbols × 5 trading days of minute candles, one KIS call each.
            let dry = try await Self.history(stack, arguments + ["--dry-run"], archive: archive)
            #expect(dry.status == 0, "\(dry.output)")
            #expect(dry.output.contains(#""steps":30"#) && dry.output.contains(#""calls":30"#), "\(dry.output)")

            // Killed part-way: what it stored stays, with its checkpoints.
            let first = try ServerProcess.launch(
                ["history", "--hub", stack.hub.url, "--sink", "sqlite:" + archive] + arguments, directory: stack.mock.directory
            )
            let sink = try SQLiteArchiveSink(path: archive)
            var storedBeforeKill = 0
            for _ in 0..<600 {
                storedBeforeKill = (try? await sink.rowCount(.candles)) ?? 0
                if storedBeforeKill >= 381 * 8 || !first.isRunning { break }  // about eight days' worth
                try await Task.sleep(for: .milliseconds(50))
            }
            await first.kill()
            let afterKill = try await sink.rowCount(.candles)
            #expect(afterKill > 0, "the first run stored candles before it was killed")

            // Run again: only the missing steps are planned and fetched.
            let resumed = try await Self.history(stack, arguments, archive: archive)
            #expect(resumed.status == 0, "\(resumed.output)")
            let summary = try #require(Self.lines(resumed.output, "summary").last, "\(resumed.output)")
            let total = try #require(JSONParser.parse(Array(summary.utf8))["summary"]?["steps_total"]?.intValue)
            #expect(total < 30, "the resumed run plans only what the killed one did not store: \(summary)")
            let complete = try await sink.rowCount(.candles)
            // Every bar the hub serves for those days, once, equal to what it serves.
            var expected = 0
            for symbol in Self.symbols {
                let served = try #require(try await Web.get(
                    stack.hub.url + "/v1/candles/\(symbol)?interval=1m&from=\(week.from)&to=\(week.to)"
                ).json?["candles"]?.arrayValue)
                expected += served.count
                let stored = try await sink.candles(
                    provider: .kis, symbol: symbol, interval: CandleInterval("1m")!, from: KSTDate(week.from)!.start, to: KSTDate(week.to)!.adding(days: 1).start
                )
                #expect(stored.map(\.start) == (try served.map { try RecordJSON.decodeCandle($0).start }), "\(symbol)")
                #expect(stored.map(\.close) == (try served.map { try RecordJSON.decodeCandle($0).close }), "\(symbol)")
            }
            #expect(complete == expected && expected > Self.symbols.count * 5 * 100, "\(complete) candles stored, \(expected) served")
            for symbol in Self.symbols {
                #expect(try await sink.candleCheckpoint(provider: .kis, symbol: symbol, interval: CandleInterval("1m")!) == KSTDate(week.to))
            }

            // A third run finds everything complete and calls nothing.
            let again = try await Self.history(stack, arguments + ["--dry-run"], archive: archive)
            #expect(again.output.contains(#""steps":0"#) && again.output.contains(#""complete":6"#), "\(again.output)")
            let daily = try await Self.history(stack, ["--symbols", "005930,000660", "--interval", "1d", "--from", week.from, "--to", week.to], archive: archive)
            #expect(daily.status == 0 && Self.lines(daily.output, "summary").last?.contains(#""inserted":10"#) == true, "\(daily.output)")
            #expect(try await sink.rowCount(.candles) == complete + 10)
            try await sink.close()
        }
    }

    @Test func badInputGetsAClearMessageAndExitCode() async throws {
        try await HubStack.with { stack in
            let archive = stack.mock.directory.appendingPathComponent("bad.sqlite").path
            let tomorrow = KSTDate(Date()).adding(days: 1).compact
            let future = try await Self.history(stack, ["--symbols", "005930", "--from", tomorrow, "--to", tomorrow], archive: archive)
            #expect(future.status == 64 && future.output.contains("in the future"), "\(future.output)")
            let decade = try await Self.history(stack, ["--symbols", "005930", "--from", "20100101"], archive: archive)
            #expect(decade.status == 64 && decade.output.contains("ten years"), "\(decade.output)")
            let notADate = try await Self.history(stack, ["--symbols", "005930", "--from", "2026-13-01"], archive: archive)
            #expect(notADate.status == 64 && notADate.output.contains("YYYYMMDD"), "\(notADate.output)")
            let week = Self.pastWeek()
            let unknown = try await Self.history(stack, ["--symbols", "005930,999999", "--from", week.from, "--to", week.to], archive: archive)
            #expect(unknown.status == 1 && unknown.output.contains("kis/999999"), "the unknown symbol is named: \(unknown.output)")
            #expect(Self.lines(unknown.output, "summary").last?.contains(#""inserted":5"#) == true, "the known one is stored: \(unknown.output)")
            let noHub = try await ServerProcess.run(
                ["history", "--hub", "http://127.0.0.1:9", "--sink", "sqlite:" + archive, "--symbols", "000660", "--from", week.from, "--to", week.to],
                directory: stack.mock.directory
            )
            #expect(noHub.status == 69 && noHub.output.contains("resume"), "\(noHub.output)")
        }
    }

    /// `--embedded`: the hub `serve` would run, in the `history` process, on the same store — refused while a hub
    /// process holds that store (two dispatchers would each pace to the full budget), run once it has stopped, reusing
    /// the stored token. A second `serve` on a held store is refused the same way.
    @Test func runsAnEmbeddedHubOnlyWhenNoOtherProcessHoldsTheStore() async throws {
        try await HubStack.with { stack in
            let directory = stack.mock.directory
            var environment = stack.environment
            environment["BROKERHUB_DATA_DIR"] = directory.appendingPathComponent("hub").path
            let archive = directory.appendingPathComponent("embedded.sqlite").path
            let week = Self.pastWeek()
            let arguments = ["history", "--embedded", "--sink", "sqlite:" + archive, "--symbols", "005930,000660", "--from", week.from, "--to", week.to]
            // The hub process warms the store up: the day's token is in it.
            let warm = try await Web.post(stack.hub.url + "/v1/execute", HubStack.quote())
            #expect(warm.status == 200, "\(warm.text)")
            let beside = try await ServerProcess.run(arguments, environment: environment, directory: directory)
            #expect(beside.status == 69 && beside.output.contains("another hub process"), "\(beside.output)")
            let second = try await ServerProcess.run(["serve", "--port", "0"], environment: environment, directory: directory)
            #expect(second.status == 69 && second.output.contains("another hub process"), "\(second.output)")
            await stack.hub.stop()
            let embedded = try await ServerProcess.run(arguments, environment: environment, directory: directory)
            #expect(embedded.status == 0 && Self.lines(embedded.output, "summary").last?.contains(#""inserted":10"#) == true, "\(embedded.output)")
            let kis = try await stack.mockStats()
            #expect(kis["tokens_issued"]?.intValue == 1 && kis["rate_limit_violations"]?.intValue == 0, "the stored token reused: \(kis)")
        }
    }
}
