import Foundation
import ProcessTestSupport
import Testing

@testable import HubServer

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

    /// A client trickling its request (a header byte a second keeps the idle timeout from firing) gets 408
    /// when the request deadline passes, and the connection is closed; a prompt request on the same hub is served.
    @Test func aTrickledRequestGetsATimeout() async throws {
        let stack = try await HubStack.start(hubEnvironment: ["BROKERHUB_REQUEST_TIMEOUT_SECONDS": "3", "BROKERHUB_IDLE_TIMEOUT_SECONDS": "30"])
        try await withCleanup({ await stack.stop() }) { () async throws in
            let port = try #require(URL(string: stack.hub.url)?.port)
            let slow = try #require(Loopback.connect(port))
            defer { close(slow) }
            Loopback.send(slow, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            var answer: (bytes: [UInt8], closed: Bool) = ([], false)
            for _ in 0..<15 where answer.bytes.isEmpty && !answer.closed {
                Loopback.send(slow, "a")
                answer = Loopback.receive(slow, within: 1)
            }
            let text = String(decoding: answer.bytes, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 408") && text.contains("request.timeout"), "\(text.prefix(200))")
            #expect(Loopback.receive(slow, within: 5).closed || answer.closed, "the connection is closed after the 408")
            // Keep-alive: a request answered re-arms the deadline for the next, which is served in time.
            let prompt = try #require(Loopback.connect(port))
            defer { close(prompt) }
            for _ in 0..<2 {
                Loopback.send(prompt, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                #expect(String(decoding: Loopback.receive(prompt, within: 5).bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
                try await Task.sleep(for: .seconds(2))
            }
        }
    }
}

/// The request deadline's policy on its own.
@Suite("Request read deadline")
struct RequestReadDeadlineTests {
    @Test func armedUntilTheRequestIsInThenAgainWhenItIsAnswered() {
        var deadline = RequestReadDeadline()
        #expect(deadline.opened() == .arm)
        #expect(deadline.headReceived() == .arm, "the body has its own deadline from the head")
        #expect(deadline.endReceived() == .disarm, "no client deadline while the hub works")
        #expect(deadline.expired() == .close)
        #expect(deadline.responseEnded() == .arm, "answered: the next request is due")
        #expect(deadline.expired() == .answerTimeout)
    }

    @Test func pipelinedRequestsReArmOnlyWhenEveryAnswerIsWritten() {
        var deadline = RequestReadDeadline()
        _ = deadline.headReceived()
        _ = deadline.endReceived()
        #expect(deadline.headReceived() == .arm, "a second request read while the first is worked on")
        #expect(deadline.endReceived() == .disarm)
        #expect(deadline.responseEnded() == .none, "one answer still owed")
        #expect(deadline.responseEnded() == .arm)
        #expect(deadline.responseEnded() == .none, "an unmatched answer changes nothing")
        #expect(deadline.expired() == .answerTimeout)
    }
}
