import BrokerWire
import Foundation
import ProcessTestSupport
import Testing

/// Issue #14 items 2, 4 and 7 as a user runs it: `brokerhub snapshot` against a running hub over the mock,
/// killed with SIGKILL in the middle of its work, then run again: the archive stays readable line by line,
/// nothing is left open, the manifest counts every line, the broker saw no violation and one token.
@Suite("Snapshot process", .timeLimit(.minutes(4)))
struct SnapshotProcessTests {
    /// Every `.jsonl` line under `directory` (rolled files and, with `includeOpen`, complete lines of `.open` files).
    func lines(_ directory: String, prefix: String, includeOpen: Bool) throws -> (lines: [JSONValue], open: Int) {
        var values: [JSONValue] = []
        var open = 0
        for day in try FileManager.default.contentsOfDirectory(atPath: directory) {
            for name in try FileManager.default.contentsOfDirectory(atPath: directory + "/" + day) where name.hasPrefix(prefix + "-") {
                let isOpen = name.hasSuffix(".open")
                if isOpen { open += 1 }
                guard name.hasSuffix(".jsonl") || (includeOpen && isOpen) else { continue }
                let text = try String(contentsOfFile: directory + "/" + day + "/" + name, encoding: .utf8)
                var complete = text.split(separator: "\n", omittingEmptySubsequences: false)
                if isOpen { complete.removeLast() } else { #expect(complete.last == "", "\(name) ends with a whole line") }
                for line in complete where !line.isEmpty {
                    values.append(try #require(try? JSONParser.parse(String(line)), "\(name): not JSON: \(line.prefix(80))"))
                }
            }
        }
        return (values, open)
    }

    @Test func aKilledSnapshotLeavesAReadableArchiveAndARestartCompletesIt() async throws {
        try await HubStack.with { stack in
            let out = stack.mock.directory.appendingPathComponent("snapshots").path
            let arguments = [
                "snapshot", "--hub", stack.hub.url, "--universe-url", stack.mock.url + "/_mock/universe", "--top", "300",
                "--mode", "swing", "--interval", "1", "--hours", "always", "--out", out, "--roll-mb", "0.1", "--keep-duplicates",
            ]
            let first = try await ServerProcess.start(arguments + ["--http-port", "0"], directory: stack.mock.directory)
            // Let it run a few cycles (each 10 calls through the hub), then kill it without warning.
            var cycles = 0
            for _ in 0..<150 where cycles < 3 {
                try await Task.sleep(for: .milliseconds(200))
                cycles = try await Web.get(first.url + "/status").json?["cycles"]?.intValue ?? 0
            }
            #expect(cycles >= 3, "cycles before the kill: \(cycles)")
            let metrics = try await Web.get(first.url + "/metrics").text
            #expect(metrics.contains(#"brokerhub_snapshot_collected_total{mode="swing",provider="kis"}"#) || metrics.contains(#"brokerhub_snapshot_collected_total{provider="kis",mode="swing"}"#), "\(metrics.split(separator: "\n").filter { $0.contains("snapshot") }.prefix(5))")
            await first.kill()
            let killed = try lines(out, prefix: "snapshots", includeOpen: true)
            #expect(killed.lines.count >= 600, "complete lines after the kill: \(killed.lines.count)")

            let (status, output) = try await ServerProcess.run(arguments + ["--cycles", "1"], directory: stack.mock.directory)
            #expect(status == 0, "\(output.suffix(1500))")
            let summary = try #require(output.split(separator: "\n").last(where: { $0.hasPrefix("{") }).flatMap { try? JSONParser.parse(String($0)) })
            #expect(summary["collected"]?.intValue == 300 && summary["failed_calls"]?.intValue == 0, "\(summary)")
            let after = try lines(out, prefix: "snapshots", includeOpen: false)
            #expect(after.open == 0, "nothing left open after a clean stop")
            #expect(after.lines.count >= killed.lines.count + 300)
            let lastRun = after.lines.filter { $0["cycle"]?.intValue == 1 }
            #expect(Set(lastRun.compactMap { $0["symbol"]?.stringValue }).count == 300)
            // The manifests count exactly the lines on disk.
            var manifestLines = 0
            for day in try FileManager.default.contentsOfDirectory(atPath: out) {
                let manifest = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: out + "/" + day + "/snapshots.manifest.json"))))
                manifestLines += manifest["lines"]?.intValue ?? 0
            }
            #expect(manifestLines == after.lines.count)
            let kis = try await stack.mockStats()
            #expect(kis["rate_limit_violations"]?.intValue == 0 && kis["tokens_issued"]?.intValue == 1, "\(kis)")
        }
    }

    @Test func serveRunsASnapshotScheduleThroughItsOwnFrontDoor() async throws {
        let stack = try await HubStack.start(hubEnvironment: [
            "BROKERHUB_SNAPSHOT_MODE": "scalp", "BROKERHUB_SNAPSHOT_SYMBOLS": "005930,000660,035420", "BROKERHUB_SNAPSHOT_HOURS": "always",
            "BROKERHUB_SNAPSHOT_INTERVAL_SECONDS": "0.5",
        ])
        let directory = stack.mock.directory.appendingPathComponent("hub/snapshots").path
        try await withCleanup({ await stack.stop() }) { () async throws in
            var snapshot: JSONValue?
            for _ in 0..<100 {
                snapshot = try await Web.get(stack.hub.url + "/v1/status").json?["snapshot"]
                if (snapshot?["cycles"]?.intValue ?? 0) >= 3 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect((snapshot?["cycles"]?.intValue ?? 0) >= 3 && snapshot?["mode"]?.stringValue == "scalp", "\(String(describing: snapshot))")
            #expect((snapshot?["collected"]?.intValue ?? 0) >= 3 && snapshot?["failed_calls"]?.intValue == 0, "\(String(describing: snapshot))")
            let metrics = try await Web.get(stack.hub.url + "/metrics").text
            #expect(metrics.contains("brokerhub_snapshot_cycle_seconds"), "the schedule's metrics are the hub's")
        }
        // Stopped with SIGTERM: the day's file is rolled and in the manifest.
        let lines = try lines(directory, prefix: "snapshots", includeOpen: false)
        #expect(lines.open == 0 && lines.lines.count >= 3)
        #expect(lines.lines.allSatisfy { $0["tr_id"]?.stringValue == "FHKST01010100" && $0["mode"]?.stringValue == "scalp" })
        #expect(lines.lines.contains { $0["listed_shares"]?.intValue != nil }, "the single-symbol quote carries listed shares")
    }

    @Test func badArgumentsAndAnAbsentHubGetClearExits() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-snapshot-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let noSymbols = try await ServerProcess.run(["snapshot", "--hub", "http://127.0.0.1:9"], directory: directory)
        #expect(noSymbols.status == 64 && noSymbols.output.contains("name the symbols one way"), "\(noSymbols.output.suffix(500))")
        let badCode = try await ServerProcess.run(["snapshot", "--symbols", "005930,00'66", "--hub", "http://127.0.0.1:9"], directory: directory)
        #expect(badCode.status == 64 && badCode.output.contains("is not a symbol code"), "\(badCode.output.suffix(500))")
        let tooFast = try await ServerProcess.run(
            ["snapshot", "--mode", "scalp", "--symbols", (0..<20).map { String(format: "%06d", $0) }.joined(separator: ","), "--hub", "http://127.0.0.1:9"],
            directory: directory
        )
        #expect(tooFast.status == 64 && tooFast.output.contains("more than 50% of the kis budget"), "\(tooFast.output.suffix(500))")
        let absent = try await ServerProcess.run(
            ["snapshot", "--symbols", "005930", "--hub", "http://127.0.0.1:9", "--hours", "always", "--cycles", "1", "--out", directory.appendingPathComponent("out").path],
            directory: directory
        )
        #expect(absent.status == 69 && absent.output.contains("every call failed"), "\(absent.output.suffix(800))")
    }
}
