import Archiver
import BrokerCore
import BrokerWire
import Foundation
import History
import ProcessTestSupport
import Testing

/// Issue #13 item 6: the loss loop closed end to end, as real processes against the mock — stream, `kill -9` the
/// collector for 25 s, restart it; `verify` names the missing minutes (exactly the cut, with nothing lost in the
/// pipeline: everything published is stored); `backfill` recovers them; a second `verify` is clean, every minute of the
/// window has a stored candle equal to the broker's (derived from the trades where they are complete, backfilled where
/// not); a second `backfill` adds nothing; 0 rate-limit violations and 1 token throughout. On the embedded store
/// (journal bus, SQLite) and on Redis + PostgreSQL (hub in distributed mode too).
@Suite("verify and backfill, end to end", .timeLimit(.minutes(6)), .serialized)
struct LossLoopProcessTests {
    enum Deployment: String, CaseIterable, Sendable {
        case embedded
        case distributed
    }

    static let symbols = ["005930", "000660", "035420"]
    static let redisURL = ProcessInfo.processInfo.environment["BROKERHUB_TEST_REDIS_URL"]
    static let postgresURL = ProcessInfo.processInfo.environment["BROKERHUB_TEST_POSTGRES_URL"]

    @Test(arguments: Deployment.allCases)
    func aKilledCollectorsGapIsNamedRecoveredAndVerified(_ deployment: Deployment) async throws {
        if deployment == .distributed, Self.redisURL == nil || Self.postgresURL == nil {
            print("skipped: the distributed run needs BROKERHUB_TEST_REDIS_URL and BROKERHUB_TEST_POSTGRES_URL (scripts/test.sh sets them)")
            return
        }
        // The mock's market runs from 10:00 of the last trading day before today (a past day the hub asks
        // FHKST03010230 for), five times real time.
        let day = KRXCalendar().previousTradingDay(before: KSTDate(Date()))
        let tag = UUID().uuidString.prefix(8).lowercased()
        var hubEnvironment: [String: String] = [:]
        if deployment == .distributed, let redis = Self.redisURL {
            let key = (0..<32).map { _ in UInt8.random(in: 0...255) }
            hubEnvironment = ["BROKERHUB_REDIS_URL": redis, "BROKERHUB_REDIS_PREFIX": "loss-\(tag)", "BROKERHUB_TOKEN_KEY": Data(key).base64EncodedString()]
        }
        try await HubStack.with(mockArguments: ["--market-start", day.compact + "100000"], hubEnvironment: hubEnvironment) { stack in
            let directory = stack.mock.directory
            let credentials = directory.appendingPathComponent("credentials.json").path
            let bus = deployment == .embedded ? "journal:" + directory.appendingPathComponent("bus.sqlite").path : Self.redisURL! + "?prefix=loss-\(tag)"
            let sink = deployment == .embedded
                ? "sqlite:" + directory.appendingPathComponent("archive.sqlite").path : Self.postgresURL! + "?schema=bh_loss_\(tag)"
            let ready = directory.appendingPathComponent("archiver.ready")
            let archiver = try ServerProcess.launch(
                ["archive", "--bus", bus, "--sink", sink, "--spool", directory.appendingPathComponent("spool").path, "--consumer", "loss-1",
                 "--ready-file", ready.path],
                directory: directory
            )
            let collect = ["collect", "--mock", stack.mock.url, "--mock-credentials", credentials, "--provider", "kis",
                           "--symbols", Self.symbols.joined(separator: ","), "--channels", "ticker", "--bus", bus, "--always-open"]
            var collectors: [ServerProcess] = []
            let store = try ArchiveSinkSpecification.open(sink)
            try await withCleanup({
                for collector in collectors { await collector.stop() }
                await archiver.stop()
                try? await store.close()
            }) {
                // Stream, kill -9 the collector for 25 s, stream again, stop it and let the archive catch up.
                collectors.append(try ServerProcess.launch(collect, directory: directory))
                try await Self.waitUntil("first ticks stored", timeout: 60) { (try? await store.rowCount(.ticks)) ?? 0 > 0 }
                try await Task.sleep(for: .seconds(30))
                await collectors[0].kill()
                try await Task.sleep(for: .seconds(25))
                collectors.append(try ServerProcess.launch(collect, directory: directory))
                try await Task.sleep(for: .seconds(35))
                await collectors[1].stop()
                try await Self.waitUntil("the archive caught up with the bus", timeout: 60) {
                    (try? await ServerProcess.run(["ledger", "status", "--bus", bus, "--sink", sink], directory: directory).status) == 0
                }
                // (Everything published is stored; what the mock sent into the killed collector's socket is the cut's loss.)

                // verify names the cut, and only the cut.
                let firstReport = directory.appendingPathComponent("verify-1.json").path
                let common = ["--hub", stack.hub.url, "--sink", sink, "--provider", "kis", "--day", day.compact,
                              "--symbols", Self.symbols.joined(separator: ","), "--from", "first-trade", "--to", "last-trade"]
                let first = try await ServerProcess.run(["verify"] + common + ["--report", firstReport], directory: directory)
                #expect(first.status == 1, "gaps exit 1: \(first.output)")
                print("\(deployment): first verify (exit \(first.status)):\n\(first.output)")
                let gaps = try VerificationReport.decode(Data(contentsOf: URL(fileURLWithPath: firstReport)))
                let cut = try await Self.cut(store, day: day)
                let found = gaps.symbols.flatMap(\.findings)
                #expect(!found.isEmpty && gaps.totals.missing > 0, "the cut has whole minutes missing: \(first.output)")
                for finding in found {
                    let minute = try #require(finding.secondOfDay)
                    #expect(minute + 60 > cut.start && minute <= cut.end,
                            "\(finding.minute) \(finding.status) lies in the cut \(MinuteWindow.label(cut.start))–\(MinuteWindow.label(cut.end)): \(first.output)")
                    #expect(finding.status == .missing || finding.status == .short, "\(finding)")
                }
                var expected: [String: [Candle]] = [:]
                for symbol in Self.symbols {
                    let served = try #require(try await Web.get(stack.hub.url + "/v1/candles/\(symbol)?interval=1m&from=\(day.compact)&to=\(day.compact)").json?["candles"]?.arrayValue)
                    expected[symbol] = try served.map(RecordJSON.decodeCandle)
                    let named = Set(gaps.symbols.first { $0.symbol == symbol }?.findings.compactMap(\.secondOfDay) ?? [])
                    for candle in expected[symbol]! where candle.volume > 0 {
                        let minute = KST.secondOfDay(candle.start)
                        if minute >= cut.start - cut.start % 60 + 60, minute + 60 <= cut.end {
                            #expect(named.contains(minute), "\(symbol) \(MinuteWindow.label(minute)) (inside the cut, \(candle.volume) shares) is named")
                        }
                    }
                }

                // backfill recovers them; verify is then clean.
                let backfill = try await ServerProcess.run(["backfill", "--report", firstReport, "--hub", stack.hub.url, "--sink", sink, "--json"], directory: directory)
                #expect(backfill.status == 0, "\(backfill.output)")
                let secondReport = directory.appendingPathComponent("verify-2.json").path
                let second = try await ServerProcess.run(["verify"] + common + ["--report", secondReport], directory: directory)
                #expect(second.status == 0, "clean after backfill: \(second.output)")
                print("\(deployment): backfill: \(backfill.output)\nsecond verify (exit \(second.status)):\n\(second.output)")
                let clean = try VerificationReport.decode(Data(contentsOf: URL(fileURLWithPath: secondReport)))
                #expect(clean.from == gaps.from && clean.to == gaps.to, "the same window")
                #expect(clean.totals.backfilled + clean.totals.complete == clean.totals.checked && clean.totals.checked == gaps.totals.checked)
                #expect(clean.totals.backfilled + (clean.totals.complete - gaps.totals.complete) == found.count,
                        "every named minute rests on a backfilled candle or recovered trades: \(second.output)")
                #expect(clean.totals.unrecoveredVolume <= gaps.totals.missingVolume, "the report says how many shares' trades were not recovered")
                #expect(second.output.contains("backfilled"), "the table names the minutes that rest on backfill: \(second.output)")

                // Every minute of the window has a stored candle equal to the broker's: derived from the trades where
                // they are complete, backfilled where not.
                let window = try #require(MinuteWindow.parse(clean.from))
                let end = try #require(MinuteWindow.parse(clean.to))
                for symbol in Self.symbols {
                    let stored = try await store.candles(provider: .kis, symbol: symbol, interval: .oneMinute, from: day.start, to: day.adding(days: 1).start)
                    let byMinute = Dictionary(stored.map { (KST.secondOfDay($0.start), $0) }, uniquingKeysWith: { $1 })
                    let backfilled = Set(clean.symbols.first { $0.symbol == symbol }?.findings.filter { $0.status == .backfilled }.compactMap(\.secondOfDay) ?? [])
                    for candle in expected[symbol]! {
                        let minute = KST.secondOfDay(candle.start)
                        guard minute >= window, minute < end else { continue }
                        let mine = try #require(byMinute[minute], "\(symbol) \(MinuteWindow.label(minute)) has a stored candle")
                        #expect([mine.open, mine.high, mine.low, mine.close, mine.volume] == [candle.open, candle.high, candle.low, candle.close, candle.volume],
                                "\(symbol) \(MinuteWindow.label(minute)) equals the broker's")
                        #expect(mine.sourceType == (backfilled.contains(minute) ? .backfill : .derived), "\(symbol) \(MinuteWindow.label(minute)) \(mine.sourceType)")
                    }
                }

                // A second backfill adds nothing.
                let ticksBefore = try await store.rowCount(.ticks), candlesBefore = try await store.rowCount(.candles)
                let again = try await ServerProcess.run(["backfill", "--report", firstReport, "--hub", stack.hub.url, "--sink", sink, "--json"], directory: directory)
                #expect(again.status == 0, "\(again.output)")
                let summary = try #require(again.output.split(separator: "\n").last { $0.hasPrefix("{") })
                let parsed = try JSONParser.parse(Array(summary.utf8))
                #expect(parsed["candlesInserted"]?.intValue == 0 && parsed["tradesRecovered"]?.intValue == 0, "\(summary)")
                let ticksAfter = try await store.rowCount(.ticks), candlesAfter = try await store.rowCount(.candles)
                #expect(ticksAfter == ticksBefore && candlesAfter == candlesBefore)
                let ledger = try await ServerProcess.run(["ledger", "status", "--bus", bus, "--sink", sink], directory: directory)
                #expect(ledger.status == 0 && ledger.output.contains("backfilled"), "realtime complete, backfill counted apart: \(ledger.output)")

                let kis = try await stack.mockStats()
                #expect(kis["rate_limit_violations"]?.intValue == 0 && kis["tokens_issued"]?.intValue == 1, "\(kis)")
            }
        }
    }

    /// Item 5: `brokerhub recover` beside the pipeline. The collector reaches the mock through a TCP proxy that is cut
    /// for 20 s; when the collector is back it raises `session.gap`; recover verifies and backfills each symbol on its
    /// own, and a later `verify` of the whole collection finds it clean, the cut resting on backfilled candles.
    @Test func recoverClosesACutOnItsOwn() async throws {
        let day = KRXCalendar().previousTradingDay(before: KSTDate(Date()))
        try await HubStack.with(mockArguments: ["--market-start", day.compact + "100000"]) { stack in
            let directory = stack.mock.directory
            let mockPort = try #require(URLComponents(string: stack.mock.url)?.port)
            let proxy = try await TCPProxy(targetHost: "127.0.0.1", targetPort: mockPort)
            let bus = "journal:" + directory.appendingPathComponent("bus.sqlite").path
            let sink = "sqlite:" + directory.appendingPathComponent("archive.sqlite").path
            let archiver = try ServerProcess.launch(
                ["archive", "--bus", bus, "--sink", sink, "--spool", directory.appendingPathComponent("spool").path, "--consumer", "loss-1"],
                directory: directory
            )
            let recoverReady = directory.appendingPathComponent("recover.ready")
            let recover = try ServerProcess.launch(
                ["recover", "--bus", bus, "--sink", sink, "--hub", stack.hub.url, "--settle-seconds", "15", "--spacing-seconds", "0.5",
                 "--http-port", "0", "--ready-file", recoverReady.path],
                directory: directory
            )
            let collector = try ServerProcess.launch(
                ["collect", "--mock", "http://127.0.0.1:\(proxy.port)", "--mock-credentials", directory.appendingPathComponent("credentials.json").path,
                 "--provider", "kis", "--symbols", Self.symbols.joined(separator: ","), "--channels", "ticker", "--bus", bus, "--always-open"],
                directory: directory
            )
            let store = try ArchiveSinkSpecification.open(sink)
            try await withCleanup({
                await collector.stop()
                await recover.stop()
                await archiver.stop()
                try? await proxy.shutdown()
                try? await store.close()
            }) {
                try await Self.waitUntil("first ticks stored", timeout: 60) { (try? await store.rowCount(.ticks)) ?? 0 > 0 }
                try await Task.sleep(for: .seconds(25))
                try await proxy.cut()
                try await Task.sleep(for: .seconds(20))
                try await proxy.restore()
                let url = try #require(try? String(contentsOf: recoverReady, encoding: .utf8))
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                // Each symbol recovered once the settle after the collector's session.gap has passed.
                try await Self.waitUntil("recover ran for every symbol", timeout: 150) {
                    let metrics = (try? await Web.get(url + "/metrics").text) ?? ""
                    return Self.counter(metrics, #"brokerhub_recover_runs_total{result="ok"}"#) >= Double(Self.symbols.count)
                }
                let metrics = try await Web.get(url + "/metrics").text
                #expect(Self.counter(metrics, #"brokerhub_recover_minutes_total{status="backfilled"}"#) > 0, "\(metrics)")
                await collector.stop()
                try await Self.waitUntil("the archive caught up with the bus", timeout: 60) {
                    (try? await ServerProcess.run(["ledger", "status", "--bus", bus, "--sink", sink], directory: directory).status) == 0
                }
                #expect(try await store.alerts(kind: "session.gap", from: day.start.addingTimeInterval(-86_400 * 7), to: Date().addingTimeInterval(86_400)).count >= 1)
                // Verified from the first whole minute to the minute recover last looked at: clean, the cut backfilled.
                let report = directory.appendingPathComponent("verify.json").path
                let result = try await ServerProcess.run(
                    ["verify", "--hub", stack.hub.url, "--sink", sink, "--day", day.compact, "--symbols", Self.symbols.joined(separator: ","),
                     "--from", "first-trade", "--to", "last-trade", "--report", report],
                    directory: directory
                )
                let verified = try VerificationReport.decode(Data(contentsOf: URL(fileURLWithPath: report)))
                print("recover: \(recover.output.split(separator: "\n").filter { $0.contains("recovered") }.joined(separator: "\n"))\nverify:\n\(result.output)")
                #expect(result.status == 0 && verified.isClean, "nothing left open: \(result.output)")
                #expect(verified.totals.backfilled > 0, "the cut rests on backfilled candles: \(result.output)")
                let kis = try await stack.mockStats()
                #expect(kis["rate_limit_violations"]?.intValue == 0 && kis["tokens_issued"]?.intValue == 1, "\(kis)")
            }
        }
    }

    /// A counter's value in Prometheus text (0 when absent).
    static func counter(_ metrics: String, _ series: String) -> Double {
        metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    /// Item 8: bad input gets a clear message and exit code, never a crash or a silent empty result.
    @Test func refusesBadInputClearly() async throws {
        let calendar = KRXCalendar()
        let today = KSTDate(Date())
        var closed = today.adding(days: -1)
        while calendar.isTradingDay(closed) { closed = closed.adding(days: -1) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-lossloop-bad-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let sink = "sqlite:" + directory.appendingPathComponent("archive.sqlite").path
        let absent = ["--hub", "http://127.0.0.1:9", "--sink", sink]
        let cases: [(arguments: [String], status: Int32, says: String)] = [
            (["verify", "--symbols", "005930", "--day", "20991231"] + absent, 64, "in the future"),
            (["verify", "--symbols", "005930", "--day", closed.compact] + absent, 64, "not a trading day"),
            (["verify", "--symbols", "005930", "--day", "20200102"] + absent, 64, "older than kis keeps"),
            (["verify", "--symbols", "005930", "--day", "2026-13-40"] + absent, 64, "YYYYMMDD"),
            (["verify", "--symbols", "005930", "--from", "25:00"] + absent, 64, "HH:MM"),
            (["verify", "--symbols", "ABC!"] + absent, 64, "not a symbol code"),
            (["verify", "--symbols", "005930", "--day", calendar.previousTradingDay(before: today).compact] + absent, 69, "not answering"),
            (["backfill"] + absent, 64, "name a report"),
            (["backfill", "--report", directory.appendingPathComponent("none.json").path] + absent, 64, "cannot be read"),
        ]
        for (arguments, status, says) in cases {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let result = try await ServerProcess.run(arguments, directory: directory)
            #expect(result.status == status && result.output.contains(says), "\(arguments.prefix(6)): exit \(result.status): \(result.output)")
        }
        let garbage = directory.appendingPathComponent("garbage.json")
        try Data("{\"provider\":\"kis\"}".utf8).write(to: garbage)
        let result = try await ServerProcess.run(["backfill", "--report", garbage.path] + absent, directory: directory)
        #expect(result.status == 64 && result.output.contains("not a verification report"), "\(result.output)")
        // A symbol the broker does not know, through a real hub: named with the reason, exit 1 — not a clean report.
        let day = calendar.previousTradingDay(before: today)
        try await HubStack.with(mockArguments: ["--market-start", day.compact + "100000"]) { stack in
            let unknown = try await ServerProcess.run(
                ["verify", "--hub", stack.hub.url, "--sink", sink, "--day", day.compact, "--symbols", "999999,005930", "--to", "10:00"],
                directory: stack.mock.directory
            )
            #expect(unknown.status == 1 && unknown.output.contains("999999") && unknown.output.contains("error"), "\(unknown.output)")
        }
    }

    /// The collector's cut: the longest pause between consecutive stored realtime trades of the day (all symbols), in
    /// seconds of day — the last trade before the kill and the first after the restart.
    static func cut(_ store: any ArchiveSink, day: KSTDate) async throws -> (start: Int, end: Int) {
        var seconds: [Int] = []
        for symbol in symbols {
            seconds += try await store.trades(provider: .kis, symbol: symbol, from: day.start, to: day.adding(days: 1).start)
                .filter { $0.sourceType == .realtime }.map { KST.secondOfDay($0.time) }
        }
        seconds.sort()
        var best = (start: 0, end: 0)
        for (a, b) in zip(seconds, seconds.dropFirst()) where b - a > best.end - best.start { best = (a, b) }
        return best
    }

    static func waitUntil(_ what: String, timeout: Double, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        Issue.record("timed out waiting for \(what)")
    }
}
