import BrokerCore
import BrokerHubTesting
import BrokerWire
import Foundation
import ProcessTestSupport
import Realtime
import Testing

/// Issue #15 item 5: `/v1/stream` serves the pipeline's live records as Server-Sent Events, from the bus another
/// process (here the test, as the collector would) appends to.
@Suite("Live stream", .timeLimit(.minutes(3)))
struct StreamTests {
    static func journal() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-stream-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("bus.sqlite").path
    }

    /// Waits until the hub counts `clients` open streams.
    static func waitForClients(_ clients: Int, hub: String) async throws {
        for _ in 0..<200 {
            if try await Web.get(hub + "/v1/status").json?["stream"]?["clients"]?.intValue == clients { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the hub never counted \(clients) stream clients")
    }

    @Test func filteredClientsGetExactlyTheirRecordsInOrder() async throws {
        let path = try Self.journal()
        let publisher = try JournalEventBus(path: path)
        try await HubStack.with(hubEnvironment: ["BROKERHUB_BUS": "journal:" + path, "BROKERHUB_STREAM_HEARTBEAT_SECONDS": "0.2"]) { stack in
            let hub = stack.hub.url
            let samsungTicks = try await EventStreamReader.open(hub + "/v1/stream?channel=ticker&symbol=005930")
            let kiwoom = try await EventStreamReader.open(hub + "/v1/stream?provider=kiwoom")
            let firstTwentyFive = try await EventStreamReader.open(hub + "/v1/stream?limit=25")
            let notices = try await EventStreamReader.open(hub + "/v1/stream?channel=system&symbol=000660,035420")
            #expect(samsungTicks.status == 200 && samsungTicks.contentType.hasPrefix("text/event-stream"))
            try await Self.waitForClients(4, hub: hub)

            let events = BusEventSamples.mixed(count: 300, run: "s")
            for start in stride(from: 0, to: events.count, by: 50) { try await publisher.publish(Array(events[start..<(start + 50)])) }

            func ids(_ keep: (RealtimeEvent) -> Bool) -> [String] { events.filter(keep).map(\.id) }
            let wantSamsung = ids { $0.channel == .ticker && $0.symbol == "005930" }
            let wantKiwoom = ids { $0.provider == .kiwoom }
            let wantNotices = ids { event in
                guard case .alert(let alert) = event.payload else { return false }
                return ["000660", "035420"].contains(alert.symbol ?? "")
            }
            let gotSamsung = try await samsungTicks.first(wantSamsung.count)
            #expect(gotSamsung.map(\.id) == wantSamsung)
            #expect(gotSamsung.allSatisfy { $0.event == "ticker" })
            #expect(try await kiwoom.first(wantKiwoom.count).map(\.id) == wantKiwoom)
            #expect(try await notices.first(wantNotices.count).map(\.id) == wantNotices)

            // The limited stream ends by itself after its 25 events.
            var limited: [EventStreamReader.Event] = []
            for try await event in firstTwentyFive.events { limited.append(event) }
            #expect(limited.map(\.id) == Array(events.prefix(25).map(\.id)))

            // The record is the same JSON every route writes, with the event's id and channel first.
            let first = try #require(JSONParser.parse(Array(gotSamsung[0].data.utf8)).objectValue)
            #expect(first["id"]?.stringValue == wantSamsung[0] && first["channel"]?.stringValue == "ticker")
            #expect(first["type"]?.stringValue == "tick" && first["provider"]?.stringValue == "kis" && first["symbol"]?.stringValue == "005930")
            #expect(first["price"]?.intValue != nil && first["received_at"]?.stringValue != nil)
            for event in gotSamsung {
                #expect(event.data.components(separatedBy: #""received_at":"#).count == 2, "every member once: \(event.data)")
            }
            let sent = try #require(try await Web.get(hub + "/v1/status").json?["stream"]?["events_sent"]?.intValue)
            #expect(sent >= wantSamsung.count + wantKiwoom.count + wantNotices.count + 25)
            // Clients that went away are found by the next keep-alive and no longer counted.
            for reader in [samsungTicks, kiwoom, notices] { reader.close() }
            try await Self.waitForClients(0, hub: hub)
        }
        try publisher.close()
    }

    @Test func badFiltersGetTheReasonAndAreCounted() async throws {
        let path = try Self.journal()
        try await HubStack.with(hubEnvironment: ["BROKERHUB_BUS": "journal:" + path]) { stack in
            let hub = stack.hub.url
            for query in ["provider=nyse", "channel=trades", "symbol=%3Cscript%3E", "limit=0", "symbols=005930"] {
                let answer = try await Web.get(hub + "/v1/stream?" + query)
                #expect(answer.status == 400, "\(query)")
                #expect(answer.json?["error"]?["code"]?.stringValue == "request.invalid_argument", "\(query): \(answer.text)")
            }
            #expect(try await Web.get(hub + "/v1/status").json?["stream"]?["refused"]?.intValue == 5)
            let metrics = try await Web.get(hub + "/metrics").text
            #expect(metrics.contains(#"brokerhub_stream_refused_total{reason="invalid_filter"} 5"#))
        }
    }

    @Test func aHubWithoutABusSaysSo() async throws {
        try await HubStack.with { stack in
            let answer = try await Web.get(stack.hub.url + "/v1/stream")
            #expect(answer.status == 503)
            #expect(answer.json?["error"]?["code"]?.stringValue == "hub.unavailable")
            #expect(answer.text.contains("BROKERHUB_BUS"))
            #expect(try await Web.get(stack.hub.url + "/v1/status").json?["stream"] == nil)
        }
    }
}
