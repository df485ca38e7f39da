import Foundation
import ProcessTestSupport
import Testing

/// Issue #18 item 3: what one client may hold before authenticating is bounded — connections, idle time,
/// header size — so slow or abandoned connections cannot silence the hub.
@Suite("Hub end to end: connection limits", .timeLimit(.minutes(3)), .serialized)
struct ConnectionLimitTests {
    @Test func idleConnectionsAreClosedAndTheCapHoldsTheRestBack() async throws {
        let stack = try await HubStack.start(hubEnvironment: ["BROKERHUB_MAX_CONNECTIONS": "4", "BROKERHUB_IDLE_TIMEOUT_SECONDS": "3"])
        try await withCleanup({ await stack.stop() }) { () async throws in
            let port = try #require(URL(string: stack.hub.url)?.port)
            let held = (0..<4).compactMap { _ in Loopback.connect(port) }
            #expect(held.count == 4)
            // The server stops accepting once it counts four; connections arriving in the same accept burst
            // can still get in, so the fifth comes later.
            try await Task.sleep(for: .milliseconds(500))
            // A fifth caller is not served while four connections are held…
            let fifth = try #require(Loopback.connect(port))
            Loopback.send(fifth, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(Loopback.receive(fifth, within: 1).bytes.isEmpty, "the cap holds the fifth connection back")
            // …until the idle ones are closed by the server (3 s without a request), then it is answered.
            #expect(Loopback.receive(held[0], within: 10).closed, "an idle connection is closed")
            let answer = String(decoding: Loopback.receive(fifth, within: 10).bytes, as: UTF8.self)
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(80))")
            // A header block over the limit is refused, never served.
            let big = try #require(Loopback.connect(port))
            Loopback.send(big, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: \(String(repeating: "a", count: 40_000))\r\n\r\n")
            let refused = Loopback.receive(big, within: 10)
            #expect(!String(decoding: refused.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            for socket in held + [fifth, big] { close(socket) }
        }
    }
}
