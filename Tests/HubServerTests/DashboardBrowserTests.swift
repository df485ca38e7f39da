import Archiver
import BrokerHubTesting
import BrokerWire
import Foundation
import ProcessTestSupport
import Realtime
import Testing

/// Issue #16 item 3: the dashboard in a real browser. Headless Chromium (installed by scripts/install-deps.sh)
/// loads `/dashboard` from a hub under load: the numbers on the page change while the load runs, match
/// `/v1/status` once it stops, and a screenshot is saved (`.build/test-artifacts/dashboard.png`, or
/// `BROKERHUB_TEST_ARTIFACTS`). Without Chromium the suite is skipped, except in CI, where that fails.
@Suite("Dashboard in a browser", .timeLimit(.minutes(4)), .serialized)
struct DashboardBrowserTests {
    static let browser: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static var artifacts: URL {
        let environment = ProcessInfo.processInfo.environment
        if let directory = environment["BROKERHUB_TEST_ARTIFACTS"], !directory.isEmpty { return URL(fileURLWithPath: directory) }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/test-artifacts")
    }

    /// Runs headless Chromium on `url` with `arguments`, letting the page's timers run for `virtualMilliseconds`
    /// of virtual time (network waits pause it); returns standard output.
    static func chromium(_ url: String, _ arguments: [String], virtualMilliseconds: Int) async throws -> String {
        let browser = try #require(browser, "chromium is not installed (scripts/install-deps.sh installs it)")
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-chromium-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
            "--user-data-dir=\(profile.path)", "--virtual-time-budget=\(virtualMilliseconds)",
        ] + arguments + [url]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reader = Task.detached { output.fileHandleForReading.readDataToEndOfFile() }
        for _ in 0..<600 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning {
            process.terminate()
            Issue.record("chromium did not finish within 60 s")
        }
        return String(decoding: await reader.value, as: UTF8.self)
    }

    /// The number the page shows in the element with `id`.
    static func number(_ id: String, in dom: String) -> Int? {
        guard let range = dom.range(of: "id=\"\(id)\">") else { return nil }
        let digits = dom[range.upperBound...].prefix { $0.isNumber }
        return Int(digits)
    }

    @Test(.enabled(if: browser != nil || ProcessInfo.processInfo.environment["CI"] != nil))
    func thePageShowsLiveNumbersThatMatchTheStatus() async throws {
        try await HubStack.with { stack in
            let page = stack.hub.url + "/dashboard"
            let load = Task { try await stack.saturate(seconds: 6, callers: 8) }
            try await Task.sleep(for: .seconds(2))
            let first = try await Self.chromium(page, ["--dump-dom"], virtualMilliseconds: 1_500)
            try await Task.sleep(for: .seconds(2))
            let second = try await Self.chromium(page, ["--dump-dom"], virtualMilliseconds: 1_500)
            let sendsBefore = try #require(Self.number("kis-sends", in: first), "no kis-sends in \(first.suffix(2_000))")
            let sendsLater = try #require(Self.number("kis-sends", in: second))
            #expect(sendsBefore > 0 && sendsLater > sendsBefore, "the numbers move while the load runs: \(sendsBefore) → \(sendsLater)")
            #expect(second.contains(#"<span class="pill closed" id="kis-breaker">closed</span>"#), "the breaker's state, coloured")
            #expect(second.contains(#"id="kis-spark""#) && second.contains("points=\""), "the budget-use chart")
            _ = try await load.value

            // Quiet now: the page shows what /v1/status says.
            let quiet = try await Self.chromium(page, ["--dump-dom"], virtualMilliseconds: 1_500)
            let status = try #require(try await Web.get(stack.hub.url + "/v1/status").json)
            let kis = try #require(status["providers"]?.arrayValue?.first { $0["provider"]?.stringValue == "kis" })
            #expect(Self.number("kis-sends", in: quiet) == kis["sends"]?.intValue)
            #expect(Self.number("kis-tokens", in: quiet) == 1 && kis["tokens_issued"]?.intValue == 1)
            #expect(Self.number("kis-limit", in: quiet) == kis["budget_limit"]?.intValue)
            let chart = kis["budget_history_5s"]?.arrayValue ?? []
            #expect(chart.count == 60 && chart.contains { Double($0.text) ?? 0 > 0.3 }, "five minutes of budget use, the load in it: \(chart.map(\.text))")
            for priority in ["realtime_critical", "interactive", "snapshot", "backfill"] {
                #expect(Self.number("queue-\(priority)", in: quiet) == status["queue_depth"]?[priority]?.intValue, "\(priority)")
            }
            #expect(quiet.contains("alerts are off"), "a hub without alert sinks says so")
            #expect(!quiet.contains(stack.kisSecret) && !quiet.contains(stack.kisAppKey), "no secret and no whole app key on the page")

            // A screenshot for people (and README), taken while a little load runs.
            let more = Task { try await stack.saturate(seconds: 3, callers: 4) }
            try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
            let shot = Self.artifacts.appendingPathComponent("dashboard.png")
            try? FileManager.default.removeItem(at: shot)
            _ = try await Self.chromium(page, ["--screenshot=\(shot.path)", "--window-size=1280,900"], virtualMilliseconds: 4_000)
            _ = try await more.value
            let size = (try? FileManager.default.attributesOfItem(atPath: shot.path)[.size] as? Int) ?? 0
            #expect(size > 10_000, "a screenshot was saved at \(shot.path)")
        }
    }

    /// With a bus and an archive (BROKERHUB_BUS, BROKERHUB_ARCHIVE) the page shows the pipeline's ledger per provider
    /// and channel — published, stored, missing — as `/v1/status` has it, and the live stream's clients.
    @Test(.enabled(if: browser != nil || ProcessInfo.processInfo.environment["CI"] != nil))
    func thePipelinesPublishedStoredAndMissingAreOnThePage() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-ledger-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = directory.appendingPathComponent("bus.sqlite").path, archive = directory.appendingPathComponent("archive.sqlite").path
        // The test is the collector (publishes 300) and the archiver (stores the first 240).
        let bus = try JournalEventBus(path: journal)
        let sink = try SQLiteArchiveSink(path: archive)
        try await sink.prepare()
        let events = BusEventSamples.mixed(count: 300, run: "ledger")
        try await bus.publish(events)
        _ = try await sink.write(Array(events.prefix(240)))
        try await HubStack.with(hubEnvironment: [
            "BROKERHUB_BUS": "journal:" + journal, "BROKERHUB_ARCHIVE": "sqlite:" + archive, "BROKERHUB_LEDGER_SECONDS": "0.2",
        ]) { stack in
            let stream = try await EventStreamReader.open(stack.hub.url + "/v1/stream?channel=ticker")
            defer { stream.close() }
            var status: JSONValue?
            for _ in 0..<100 {
                status = try await Web.get(stack.hub.url + "/v1/status").json
                if status?["realtime"]?["published"]?.intValue == 300, status?["stream"]?["clients"]?.intValue == 1 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let realtime = try #require(status?["realtime"])
            #expect(realtime["published"]?.intValue == 300 && realtime["stored"]?.intValue == 240 && realtime["missing"]?.intValue == 60)
            let channels = try #require(realtime["channels"]?.arrayValue)
            #expect(channels.count == 5, "kis and kiwoom × ticker and orderbook, kiwoom system (the samples alert on odd rows): \(channels)")
            let dom = try await Self.chromium(stack.hub.url + "/dashboard", ["--dump-dom"], virtualMilliseconds: 1_500)
            for channel in channels {
                let id = "rt-\(channel["provider"]!.text)-\(channel["channel"]!.text)"
                for column in ["published", "stored", "missing"] {
                    #expect(Self.number("\(id)-\(column)", in: dom) == channel[column]?.intValue, "\(id) \(column)")
                }
            }
            #expect(channels.contains { ($0["missing"]?.intValue ?? 0) > 0 } && dom.contains(#"class="critical" id="rt-"#), "a gap is marked")
            #expect(dom.contains("1 live stream client(s)"))
        }
        try await sink.close()
        try bus.close()
    }
}
