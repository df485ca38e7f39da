import Foundation
import ProcessTestSupport
import Testing

/// Issue #6, the outages: PostgreSQL stopped mid-stream, the collector killed, WebSocket sessions cut — each
/// as real processes (streaming mock → collector → Redis bus → archiver → PostgreSQL).
@Suite(
    "Pipeline outages (real processes)", .timeLimit(.minutes(10)), .serialized,
    .enabled(if: PipelineRig.isAvailable, "needs BROKERHUB_TEST_REDIS_URL and BROKERHUB_TEST_POSTGRES_URL (scripts/test.sh starts both)")
)
struct PipelineOutageTests {
    @Test("PostgreSQL stopped for 20 s mid-stream: the archiver spools, replays, and nothing is lost")
    func postgresStoppedForTwentySeconds() async throws {
        let services = try await PrivateServices.start()
        try await PipelineRig.run("pgdown", services: services) { rig, processes in
            try await waitUntil("rows stored before the outage", timeout: 60) { try await rig.ledger().stored > 2_000 }
            #expect(try await services.postgres("stop") == 0)
            let before = try await rig.mockRecordsSent()
            try await Task.sleep(for: .seconds(20))
            let during = try await rig.mockRecordsSent()
            #expect(processes.archiver?.isRunning == true, "the archiver outlived the outage: \(processes.archiver?.output.suffix(1500) ?? "")")
            #expect(during > before, "the mock streamed on while PostgreSQL was down (\(before) → \(during))")
            #expect(rig.spooledFiles() > 0, "the archiver spooled to disk while PostgreSQL was down")
            #expect(try await services.postgres("start") == 0)
            try await Task.sleep(for: .seconds(3))
            await processes.collector?.stop()
            let ledger = try await rig.waitForDrain(timeout: 180)
            let counts = try await rig.tickCounts()
            print("postgres outage: published \(ledger.published) (the mock sent \(during - before) during the 20 s), stored \(ledger.stored), rows \(counts.rows) distinct \(counts.distinct)")
            #expect(ledger.status == 0, "ledger status: \(ledger.output)")
            #expect(ledger.stored == ledger.published)
            #expect(counts.rows == counts.distinct)
            #expect(counts.rows == ledger.stored)
            #expect(rig.spooledFiles() == 0, "the spool was replayed and emptied")
        }
        await services.stop()
    }

    @Test("collector killed -9 and restarted: the ledger check shows the gap; what was published is stored once")
    func collectorKilledAndRestarted() async throws {
        try await PipelineRig.run("collkill") { rig, processes in
            try await waitUntil("events published", timeout: 60) { try await rig.ledgerPublished() > 5_000 }
            await processes.collector?.kill()
            try await Task.sleep(for: .seconds(2))
            processes.collector = try rig.startCollector()
            let afterRestart = try await rig.ledgerPublished()
            try await waitUntil("the restarted collector publishes", timeout: 60) { try await rig.ledgerPublished() > afterRestart + 5_000 }
            await processes.collector?.stop()
            let ledger = try await rig.waitForDrain()
            let check = try await rig.ledger(againstMock: true)
            let counts = try await rig.tickCounts()
            print("collector kill: mock sent \(check.published), stored \(check.stored), missing \(check.missing); bus published \(ledger.published)")
            #expect(ledger.status == 0, "everything published is stored: \(ledger.output)")
            #expect(counts.rows == counts.distinct, "the restarted collector's ids never collide with the first run's")
            #expect(check.status == 1, "ledger check exits 1 on a gap: \(check.output)")
            #expect(check.missing > 0, "the records lost with the killed collector show as missing")
            #expect(check.published == check.stored + check.missing)
            #expect(check.output.contains("missing"), "the gap is named: \(check.output.suffix(500))")
        }
    }

    @Test("WebSocket sessions cut three times: subscriptions restored, each gap counted and stored as an alert")
    func webSocketDisconnects() async throws {
        try await PipelineRig.run("wsdrop") { rig, processes in
            try await waitUntil("subscribed", timeout: 30) { try await rig.mockStats()["ws_subscriptions"]?.intValue == 3 }
            try await waitUntil("ticks flowing", timeout: 60) { try await rig.ledgerPublished() > 2_000 }
            let sessions = try await rig.mockStats()["ws_sessions_total"]?.intValue ?? 0
            for round in 1...3 {
                let answer = try await Web.post(rig.mock.url + "/_mock/disconnect", "")
                #expect(answer.status == 200, "\(answer.text)")
                try await waitUntil("reconnected and resubscribed (round \(round))", timeout: 30) {
                    let stats = try await rig.mockStats()
                    return stats["ws_sessions_total"]?.intValue == sessions + round && stats["ws_subscriptions"]?.intValue == 3
                }
                // Three connects within seconds stay inside the collector's cap (5 a minute): no long pause.
        }
        // Every symbol streams again after the last reconnect.
        let before = try await rig.mockStats()["records_sent_by_symbol"]
        try await Task.sleep(for: .seconds(2))
        let after = try await rig.mockStats()["records_sent_by_symbol"]
        for symbol in PipelineRig.symbols {
            #expect((after?[symbol]?.intValue ?? 0) > (before?[symbol]?.intValue ?? 0), "\(symbol) streams after the reconnects")
        }
        await processes.collector?.stop()
        let ledger = try await rig.waitForDrain()
        let gaps = try await rig.alerts(kind: "session.gap")
        print("ws disconnects: published \(ledger.published), stored \(ledger.stored), gap alerts \(gaps)")
        #expect(gaps == 3, "one session.gap alert per reconnect")
        #expect(ledger.status == 0, "\(ledger.output)")
        }
    }
}
