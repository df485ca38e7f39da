import BrokerCore
import BrokerWire
import Foundation
import ProcessTestSupport
import Testing

/// Issue #15 items 1–3 and 6: broker-native WebSocket clients through the hub's realtime gateway share one broker
/// session per app key — real processes (the mock broker and `brokerhub serve`) over loopback.
@Suite("Realtime gateway", .timeLimit(.minutes(5)))
struct GatewayTests {
    /// The hub's gateway on both providers, its sessions on the mock; the mock streams `rate` trades a second a session.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = [
            "BROKERHUB_GATEWAY": "kis,kiwoom", "BROKERHUB_KIS_WS_URL": "{mock-ws}/tryitout", "BROKERHUB_KIWOOM_WS_URL": "{mock-ws}/api/dostk/websocket",
            "BROKERHUB_GATEWAY_HEARTBEAT_SECONDS": "1",
        ]
        for (name, value) in extra { environment[name] = value }
        return environment
    }

    static let streaming = ["--stream-rate", "1600", "--records-per-frame", "1"]
    /// A quarter of `streaming`: the tests whose clients send after frames have flowed (see `unsubscribingUnderSustainedFanOut`).
    static let gentle = ["--stream-rate", "400", "--records-per-frame", "1"]

    static func symbols(_ stack: HubStack, _ count: Int) async throws -> [String] {
        let codes = try await Web.get(stack.mock.url + "/_mock/universe").text.split(separator: "\n").map(String.init)
        return Array(codes.prefix(count))
    }

    static func approval(_ hub: String) async throws -> String {
        let answer = try await Web.post(hub + "/oauth2/Approval", #"{"grant_type":"client_credentials","appkey":"any","secretkey":"any"}"#)
        return try #require(answer.json?["approval_key"]?.stringValue, "\(answer.status) \(answer.text)")
    }

    static func subscribe(_ approval: String, _ symbol: String, trID: String = "H0STCNT0", type: String = "1") -> String {
        #"{"header":{"approval_key":"\#(approval)","custtype":"P","tr_type":"\#(type)","content-type":"utf-8"},"body":{"input":{"tr_id":"\#(trID)","tr_key":"\#(symbol)"}}}"#
    }

    static func ackCode(_ text: String) -> String? {
        guard text.hasPrefix("{"), let json = try? JSONParser.parse(text), json["header"]?["tr_id"]?.stringValue != "PINGPONG" else { return nil }
        return json["body"]?["msg_cd"]?.stringValue
    }

    /// The symbol of a KIS data frame (`0|TR|NNN|SYMBOL^…`).
    static func symbol(ofFrame text: String) -> String? {
        guard text.hasPrefix("0|") else { return nil }
        let parts = text.split(separator: "|", maxSplits: 3)
        guard parts.count == 4 else { return nil }
        return parts[3].split(separator: "^", maxSplits: 1).first.map(String.init)
    }

    static func frames(_ texts: [String], of symbol: String) -> [String] { texts.filter { Self.symbol(ofFrame: $0) == symbol } }

    static func waitForMock(_ stack: HubStack, _ provider: String = "kis", sessions: Int, subscriptions: Int) async throws {
        var last = ""
        for _ in 0..<300 {
            let stats = try await stack.mockStats(provider)
            let (s, r) = (stats["ws_sessions"]?.intValue ?? -1, stats["ws_subscriptions"]?.intValue ?? -1)
            if s == sessions, r == subscriptions { return }
            last = "sessions \(s), subscriptions \(r)"
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the mock never saw \(sessions) session(s) with \(subscriptions) registration(s) on \(provider): \(last)")
    }

    /// `later`'s frames are a run of `earlier`'s: same frames, same order, nothing missing in between.
    static func isRun(_ later: [String], of earlier: [String]) -> Bool {
        guard let first = later.first, let start = earlier.firstIndex(of: first) else { return later.isEmpty }
        let length = min(later.count, earlier.count - start)
        return length > 0 && Array(earlier[start..<(start + length)]) == Array(later.prefix(length))
    }

    @Test func twentyClientsShareOneBrokerSessionAndGetExactlyTheirSymbolsInOrder() async throws {
        try await HubStack.with(mockArguments: Self.gentle, hubEnvironment: Self.environment()) { stack in
            let hub = stack.hub.url
            let pool = try await Self.symbols(stack, 8)
            let ws = "ws" + hub.dropFirst(4)
            var clients: [GatewayTestClient] = []
            var wanted: [[String]] = []
            for index in 0..<20 {
                let client = GatewayTestClient.connect(ws + (index % 3 == 0 ? "/tryitout/H0STCNT0" : index % 3 == 1 ? "/tryitout" : ""))
                let approval = try await Self.approval(hub)
                let symbols = Array(Set([pool[index % 8], pool[(index + 3) % 8]] + (index.isMultiple(of: 2) ? [pool[(index + 5) % 8]] : []))).sorted()
                for symbol in symbols { client.send(Self.subscribe(approval, symbol)) }
                clients.append(client)
                wanted.append(symbols)
            }
            for (client, symbols) in zip(clients, wanted) {
                let texts = try await client.wait("\(symbols.count) acks") { $0.compactMap(Self.ackCode).count >= symbols.count }
                #expect(texts.compactMap(Self.ackCode).prefix(symbols.count).allSatisfy { $0 == "OPSP0000" })
            }
            // One broker session for the key, carrying exactly the union of what the clients hold.
            let union = Set(wanted.joined())
            try await Self.waitForMock(stack, sessions: 1, subscriptions: union.count)

            for (client, symbols) in zip(clients, wanted) {
                try await client.wait("frames of each of \(symbols)") { texts in symbols.allSatisfy { Self.frames(texts, of: $0).count >= 10 } }
            }
            for (client, symbols) in zip(clients, wanted) {
                let got = Set(client.texts.compactMap(Self.symbol(ofFrame:)))
                #expect(got == Set(symbols), "a client gets exactly the frames of its symbols")
            }
            // Every client holding a symbol gets the same frames in the same order (from when it joined).
            for symbol in union {
                let holders = zip(clients, wanted).filter { $0.1.contains(symbol) }.map { Self.frames($0.0.texts, of: symbol) }
                let longest = try #require(holders.max { $0.count < $1.count })
                for frames in holders { #expect(Self.isRun(frames, of: longest) || Self.isRun(longest, of: frames), "\(symbol): frames out of order or missing") }
            }

            // Unsubscribing one holder keeps the shared registration; the last release frees it.
            let approval = try await Self.approval(hub)
            let shared = wanted[0][0]
            clients[0].send(Self.subscribe(approval, shared, type: "2"))
            clients[0].send(Self.subscribe(approval, shared, type: "2"))
            let answers = try await clients[0].wait("unsubscribe acks") { $0.compactMap(Self.ackCode).count >= wanted[0].count + 2 }
            #expect(Array(answers.compactMap(Self.ackCode).suffix(2)) == ["OPSP0001", "OPSP0003"])
            try await Self.waitForMock(stack, sessions: 1, subscriptions: union.count)
            for client in clients { await client.close() }
            try await Self.waitForMock(stack, sessions: 1, subscriptions: 0)
            let status = try await Web.get(hub + "/v1/status").json?["gateway"]
            #expect(status?["clients"]?.intValue == 0 && status?["registrations"]?.intValue == 0)
            #expect((status?["frames_sent"]?.intValue ?? 0) > 0)
        }
    }

    /// Under sustained fan-out (20 clients, about 7,000 frames a second in all at `--stream-rate 1600`) every client's
    /// unsubscribe is read and answered. It once was not (issue 15's read stall): the unsubscribes sat unread in the
    /// hub's receive queues (`ss -tn`) while frames kept going out, and the event loops made no `epoll_wait` for
    /// seconds (`strace`) — gdb found them running queued write tasks, one per frame. A NIO loop runs every queued task
    /// before it polls again. `GatewaySocket` now writes a batch per loop task and waits for it to reach the socket;
    /// before that this test failed in most runs (debug build).
    ///
    /// Tried first, not kept: waiting for the loop every 64 frames, or for its next tick after each batch. Both got
    /// this test through but left the fast clients of the slow-client test 200–360 ms between frames.
    @Test
    func unsubscribingUnderSustainedFanOut() async throws {
        try await HubStack.with(mockArguments: Self.streaming, hubEnvironment: Self.environment()) { stack in
            let hub = stack.hub.url
            let pool = try await Self.symbols(stack, 8)
            let clients = (0..<20).map { _ in GatewayTestClient.connect("ws" + hub.dropFirst(4) + "/tryitout") }
            for (index, client) in clients.enumerated() {
                let approval = try await Self.approval(hub)
                for symbol in [pool[index % 8], pool[(index + 3) % 8]] { client.send(Self.subscribe(approval, symbol)) }
            }
            for client in clients { try await client.wait(dataFrames: 300) }
            for (index, client) in clients.enumerated() { client.send(Self.subscribe(try await Self.approval(hub), pool[index % 8], type: "2")) }
            for client in clients {
                try await client.waitForOthers(seconds: 10, "the unsubscribe ack") { $0.contains { Self.ackCode($0) == "OPSP0001" } }
            }
            for client in clients { await client.close() }
        }
    }

    @Test func registrationsSpreadOverTheAppKeysAndTheCapIsTheBrokersOwnAnswer() async throws {
        try await HubStack.with(hubEnvironment: Self.environment(["BROKERHUB_GATEWAY_REQUESTS_PER_SECOND": "1000"])) { mockURL, keys in
            // A second real KIS key: the hub holds one session per key, 41 registrations each.
            let realKIS = keys.filter { $0["provider"]?.stringValue == "kis" && $0["kind"]?.stringValue == "real" }
            let second = try #require(realKIS.count > 1 ? realKIS[1] : nil)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-\(UUID().uuidString.prefix(8)).json")
            let config = #"{"accounts":[{"provider":"kis","app_key":"\#(second["appKey"]!.text)","secret":"\#(second["secret"]!.text)","base_url":"\#(mockURL)"}]}"#
            try Data(config.utf8).write(to: file)
            return ["BROKERHUB_CONFIG": file.path]
        } _: { stack in
            let hub = stack.hub.url
            let symbols = try await Self.symbols(stack, 83)
            let client = GatewayTestClient.connect("ws" + hub.dropFirst(4) + "/tryitout")
            let approval = try await Self.approval(hub)
            for symbol in symbols { client.send(Self.subscribe(approval, symbol)) }
            let texts = try await client.wait("83 acks") { $0.compactMap(Self.ackCode).count >= 83 }
            let codes = texts.compactMap(Self.ackCode)
            #expect(codes.filter { $0 == "OPSP0000" }.count == 82)
            #expect(codes.last == "OPSP0008", "the 83rd gets KIS's MAX SUBSCRIBE OVER")
            try await Self.waitForMock(stack, sessions: 2, subscriptions: 82)
            let status = try await Web.get(hub + "/v1/status").json?["gateway"]
            #expect(status?["registrations"]?.intValue == 82 && status?["refused_full"]?.intValue == 1)
            let metrics = try await Web.get(hub + "/metrics").text
            #expect(metrics.contains("brokerhub_gateway_capacity_full_total"))
            await client.close()
            try await Self.waitForMock(stack, sessions: 2, subscriptions: 0)
        }
    }

    @Test func aSlowClientLosesItsOwnOldestFramesAndNeverDelaysTheOthers() async throws {
        let environment = Self.environment(["BROKERHUB_GATEWAY_CLIENT_QUEUE": "1024", "BROKERHUB_GATEWAY_MAX_DROPS": "100000000"])
        try await HubStack.with(mockArguments: ["--stream-rate", "3000", "--records-per-frame", "1"], hubEnvironment: environment) { stack in
            let hub = stack.hub.url
            let symbol = try await Self.symbols(stack, 1)[0]
            let ws = "ws" + hub.dropFirst(4) + "/tryitout"
            let slow = GatewayTestClient.connect(ws, reading: false)
            let fast = [GatewayTestClient.connect(ws), GatewayTestClient.connect(ws)]
            for client in [slow] + fast { client.send(Self.subscribe(try await Self.approval(hub), symbol)) }
            for client in fast { try await client.wait("the ack") { $0.contains { Self.ackCode($0) == "OPSP0000" } } }
            // Until the slow client's socket buffers are full and the hub drops for it.
            var dropped = 0
            for _ in 0..<600 where dropped == 0 {
                dropped = try await Web.get(hub + "/v1/status").json?["gateway"]?["dropped"]?.intValue ?? 0
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(dropped > 0, "the slow client never filled its queue")
            // Measured over 3 s while the slow one drops: the fast clients get every frame, at the stream's pace.
            let before = fast.map { Self.frames($0.texts, of: symbol).count }
            try await Task.sleep(for: .seconds(3))
            let during = zip(fast, before).map { Self.frames($0.0.texts, of: symbol).count - $0.1 }
            let gaps = fast.map { client -> Double in
                let times = client.received.filter { Self.symbol(ofFrame: $0.text) == symbol }.suffix(2_000).map(\.at)
                return zip(times.dropFirst(), times).map { ($0 - $1) / .milliseconds(1) }.max() ?? 0
            }
            print("gateway slow-client test: fast clients got \(during) frames in 3 s while the slow one had \(dropped)+ dropped; longest gap between frames \(gaps.map { String(format: "%.1f", $0) }) ms")
            #expect(during.allSatisfy { $0 > 1_000 }, "fast clients kept receiving: \(during)")
            #expect(gaps.allSatisfy { $0 < 1_000 }, "no fast client waited on the slow one: \(gaps) ms")
            #expect(fast.allSatisfy { !$0.texts.contains { $0.contains("BH000001") } }, "nothing was dropped for the fast clients")
            let first = Self.frames(fast[0].texts, of: symbol), second = Self.frames(fast[1].texts, of: symbol)
            #expect(Self.isRun(second, of: first) || Self.isRun(first, of: second), "fast clients lost nothing")
            // The slow client, reading again, is told how many frames it lost.
            slow.startReading()
            try await slow.wait("the drop notice") { $0.contains { $0.contains("BH000001") } }
            for client in [slow] + fast { await client.close() }
        }
    }

    @Test func badInputGetsTheBrokersOwnAnswersAndIsCounted() async throws {
        try await HubStack.with(hubEnvironment: Self.environment(["BROKERHUB_GATEWAY_REQUESTS_PER_SECOND": "200"])) { stack in
            let hub = stack.hub.url
            let symbol = try await Self.symbols(stack, 1)[0]
            let client = GatewayTestClient.connect("ws" + hub.dropFirst(4) + "/tryitout")
            let approval = try await Self.approval(hub)
            client.send("{not json")
            client.send(Self.subscribe("the-brokers-real-key", symbol))
            client.send(Self.subscribe(approval, symbol, trID: "H0ZZZZZ0"))
            client.send(Self.subscribe(approval, "myhtsid", trID: "H0STCNI0"))
            client.send(Self.subscribe(approval, "12"))
            client.send(Self.subscribe(approval, symbol, type: "7"))
            let codes = try await client.wait("six answers") { $0.compactMap(Self.ackCode).count >= 6 }.compactMap(Self.ackCode)
            #expect(codes == ["OPSP9999", "OPSP0011", "OPSP8991", "OPSP8991", "OPSP8992", "OPSP0007"])
            // 10,000 subscribes in a second: each answered (the over-rate ones with KIS's EGW00201), nothing crashes.
            try await Task.sleep(for: .milliseconds(1_100))
            for _ in 0..<10_000 { client.send(Self.subscribe(approval, symbol)) }
            let flood = try await client.wait(seconds: 60, "10,000 answers") { $0.compactMap(Self.ackCode).count >= 10_006 }.compactMap(Self.ackCode).dropFirst(6)
            #expect(flood.first == "OPSP0000")
            #expect(flood.filter { $0 == "EGW00201" }.count >= 9_000)
            #expect(Set(flood).isSubset(of: ["OPSP0000", "OPSP0002", "EGW00201"]))
            let status = try await Web.get(hub + "/v1/status").json?["gateway"]
            #expect((status?["refused"]?.intValue ?? 0) >= 9_000 + 6)
            let metrics = try await Web.get(hub + "/metrics").text
            #expect(metrics.contains(#"brokerhub_gateway_refused_total{code="OPSP0011",provider="kis"}"#) || metrics.contains(#"brokerhub_gateway_refused_total{provider="kis",code="OPSP0011"}"#))
            await client.close()

            // Kiwoom: a token the hub did not issue is refused with Kiwoom's answer, and the connection closes.
            let stranger = GatewayTestClient.connect("ws" + hub.dropFirst(4) + "/api/dostk/websocket")
            stranger.send(#"{"trnm":"REG","grp_no":"1","refresh":"1","data":[{"item":["\#(symbol)"],"type":["0B"]}]}"#)
            stranger.send(#"{"trnm":"LOGIN","token":"not-a-hub-token"}"#)
            let refused = try await stranger.wait("LOGIN refused") { $0.count >= 2 }
            #expect(refused[0].contains("8005") && refused[1].contains(#""trnm":"LOGIN""#) && refused[1].contains("8005"))
            for _ in 0..<100 where !stranger.isClosed { try await Task.sleep(for: .milliseconds(20)) }
            #expect(stranger.isClosed)
            #expect(try await Web.get(hub + "/health").status == 200)
        }
    }

    @Test func kiwoomClientsShareTheSessionAndGetOnlyTheirItems() async throws {
        try await HubStack.with(mockArguments: Self.gentle, hubEnvironment: Self.environment()) { stack in
            let hub = stack.hub.url
            let pool = try await Self.symbols(stack, 4)
            let ws = "ws" + hub.dropFirst(4) + "/api/dostk/websocket"
            var clients: [GatewayTestClient] = []
            let wanted = [[pool[0], pool[1]], [pool[1], pool[2]], [pool[2], pool[3], pool[0]]]
            for items in wanted {
                let token = try #require(try await Web.post(hub + "/oauth2/token", #"{"grant_type":"client_credentials","appkey":"a","secretkey":"b"}"#).json?["token"]?.stringValue)
                let client = GatewayTestClient.connect(ws)
                client.send(#"{"trnm":"LOGIN","token":"\#(token)"}"#)
                client.send(#"{"trnm":"REG","grp_no":"1","refresh":"1","data":[{"item":[\#(items.map { "\"\($0)\"" }.joined(separator: ","))],"type":["0B"]}]}"#)
                clients.append(client)
            }
            for client in clients {
                let texts = try await client.wait("LOGIN and REG answers") { $0.filter { $0.contains("return_code") }.count >= 2 }
                #expect(texts.filter { $0.contains("return_code") }.prefix(2).allSatisfy { $0.contains(#""return_code":0"#) })
            }
            try await Self.waitForMock(stack, "kiwoom", sessions: 1, subscriptions: 4)
            func items(_ texts: [String]) -> [String] {
                texts.compactMap { try? JSONParser.parse($0) }.filter { $0["trnm"]?.stringValue == "REAL" }
                    .flatMap { $0["data"]?.arrayValue ?? [] }.compactMap { $0["item"]?.stringValue }
            }
            for (client, want) in zip(clients, wanted) {
                let texts = try await client.wait("REAL entries of each of \(want)") { texts in
                    let got = items(texts)
                    return want.allSatisfy { item in got.filter { $0 == item }.count >= 10 }
                }
                #expect(Set(items(texts)) == Set(want))
            }
            // REMOVE of a shared item keeps it for the others; closing everyone frees the broker's registrations.
            clients[0].send(#"{"trnm":"REMOVE","grp_no":"1","refresh":"1","data":[{"item":["\#(pool[1])"],"type":["0B"]}]}"#)
            try await clients[0].wait("REMOVE answer") { $0.contains { $0.contains(#""trnm":"REMOVE""#) } }
            try await Self.waitForMock(stack, "kiwoom", sessions: 1, subscriptions: 4)
            for client in clients { await client.close() }
            try await Self.waitForMock(stack, "kiwoom", sessions: 1, subscriptions: 0)
        }
    }
}
