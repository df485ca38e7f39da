import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import MockBroker
import Synchronization
import Testing

/// Stopping the mock closes the connections its clients left open, as a broker going away does. Hummingbird's
/// graceful shutdown waits for them, and a WebSocket whose client stays connected never finishes: the demo's
/// shutdown hung on one past its deadline (and the process trapped) about one run in seven. (An idle
/// keep-alive HTTP connection Hummingbird closes itself; that case is kept as a check.)
@Suite("Mock broker stopping", .timeLimit(.minutes(1)))
struct ShutdownTests {
    @Test func stoppingClosesAConnectionAClientLeftOpen() async throws {
        // A client of its own whose pool keeps the connection open and idle after the answer.
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let stoppedAfter = Mutex<Duration?>(nil)
        let run = Task {
            let clock = ContinuousClock()
            let stopping = Mutex(clock.now)
            try await MockHarness.run { _, url in
                let answer = try await client.execute(HTTPClientRequest(url: url + "/_mock/stats"), timeout: .seconds(10))
                _ = try await answer.body.collect(upTo: 1 << 20)
                #expect(answer.status == .ok)
                stopping.withLock { $0 = clock.now }
            }
            let began = stopping.withLock { $0 }
            stoppedAfter.withLock { $0 = clock.now - began }
        }
        // The bound is a hang detector, not a speed check: before the fix the stop never came.
        let deadline = Date().addingTimeInterval(20)
        while stoppedAfter.withLock({ $0 }) == nil, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let stopped = stoppedAfter.withLock { $0 }
        #expect(stopped != nil, "the mock did not stop while a client kept a connection open")
        if stopped == nil { run.cancel() }
        try await client.shutdown()
    }

    /// A WebSocket client that stays connected and reads nothing (a stopped collector whose socket lingers).
    @Test func stoppingClosesAWebSocketAClientLeftOpen() async throws {
        let connected = Box(false)
        let stoppedAfter = Box<Duration?>(nil)
        let holder = Box<Task<Void, any Error>?>(nil)
        let run = Task {
            let clock = ContinuousClock()
            let stopping = Mutex(clock.now)
            try await MockHarness.run { _, url in
                let socket = RealtimeHarness.wsURL(url, "/tryitout")
                let client = Task {
                    _ = try await WebSocketClient.connect(url: socket, logger: RealtimeHarness.logger) { _, _, _ in
                        connected.set(true)
                        try await Task.sleep(for: .seconds(60))
                    }
                }
                holder.set(client)
                while !connected.value { try await Task.sleep(for: .milliseconds(20)) }
                stopping.withLock { $0 = clock.now }
            }
            let began = stopping.withLock { $0 }
            stoppedAfter.set(clock.now - began)
        }
        let deadline = Date().addingTimeInterval(20)
        while stoppedAfter.value == nil, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(stoppedAfter.value != nil, "the mock did not stop while a WebSocket client stayed connected")
        run.cancel()
        holder.value?.cancel()
    }
}

/// A value shared between the test's tasks.
final class Box<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    var value: Value { state.withLock { $0 } }
    func set(_ value: Value) { state.withLock { $0 = value } }
}
