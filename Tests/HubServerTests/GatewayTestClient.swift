import Foundation
import HummingbirdWSClient
import Logging
import Synchronization

/// A WebSocket client of the hub's realtime gateway for the tests: sends what it is given, keeps every text
/// message it receives with the time it arrived, and can stop reading (a slow client: the socket's buffers
/// fill and the hub has to drop for it).
final class GatewayTestClient: Sendable {
    struct Received: Sendable {
        var text: String
        var at: ContinuousClock.Instant
    }

    private struct State {
        var received: [Received] = []
        /// How many of `received` are KIS data frames (`0|…`), and the others (answers, heartbeats, notices).
        var dataFrames = 0
        var others: [String] = []
        var reading = true
        var closed = false
        var error: String?
    }

    private let state = Mutex(State())
    private let outgoing: AsyncStream<String>.Continuation
    private let task: Task<Void, Never>
    private let resume = Mutex<CheckedContinuation<Void, Never>?>(nil)

    private init(outgoing: AsyncStream<String>.Continuation, task: Task<Void, Never>) {
        self.outgoing = outgoing
        self.task = task
    }

    static var logger: Logger {
        var logger = Logger(label: "test.gateway-client")
        logger.logLevel = .warning
        return logger
    }

    /// Connects to `url` (`ws://…`); `reading: false` starts it as a client that never reads.
    static func connect(_ url: String, reading: Bool = true) -> GatewayTestClient {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        let holder = Mutex<GatewayTestClient?>(nil)
        let ready = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            for await _ in ready.stream { break }
            guard let client = holder.withLock({ $0 }) else { return }
            client.state.withLock { $0.reading = reading }
            do {
                try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 22), logger: logger) { inbound, outbound, _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in stream { try await outbound.write(.text(text)) }
                            try await outbound.close(.normalClosure, reason: nil)
                        }
                        group.addTask {
                            for try await message in inbound.messages(maxSize: 1 << 22) {
                                await client.waitUntilReading()
                                guard case .text(let text) = message else { continue }
                                let now = ContinuousClock.now
                                client.state.withLock { state in
                                    state.received.append(Received(text: text, at: now))
                                    if text.hasPrefix("0|") { state.dataFrames += 1 } else { state.others.append(text) }
                                }
                            }
                        }
                        try await group.next()
                        group.cancelAll()
                    }
                }
            } catch {
                client.state.withLock { $0.error = "\(error)" }
            }
            client.state.withLock { $0.closed = true }
        }
        let client = GatewayTestClient(outgoing: continuation, task: task)
        holder.withLock { $0 = client }
        ready.continuation.yield()
        ready.continuation.finish()
        return client
    }

    private func waitUntilReading() async {
        guard !state.withLock({ $0.reading }) else { return }
        await withCheckedContinuation { continuation in
            let reading = state.withLock { $0.reading }
            if reading { continuation.resume() } else { resume.withLock { $0 = continuation } }
        }
    }

    /// Starts reading again (a slow client catching up).
    func startReading() {
        state.withLock { $0.reading = true }
        resume.withLock { $0 }?.resume()
        resume.withLock { $0 = nil }
    }

    func send(_ text: String) { outgoing.yield(text) }

    var received: [Received] { state.withLock { $0.received } }
    var texts: [String] { received.map(\.text) }
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Waits until `predicate` holds for what was received; fails after `seconds`.
    @discardableResult
    func wait(seconds: Double = 20, _ what: String, until predicate: ([String]) -> Bool) async throws -> [String] {
        var texts: [String] = []
        try await poll(seconds: seconds, what) {
            texts = self.texts
            return predicate(texts)
        }
        return texts
    }

    /// Waits until `count` KIS data frames have come, without copying what was received (for clients that receive
    /// thousands a second); fails after `seconds`.
    func wait(seconds: Double = 20, dataFrames count: Int) async throws {
        try await poll(seconds: seconds, "\(count) data frames") { state.withLock { $0.dataFrames } >= count }
    }

    /// Waits until `predicate` holds for the messages received that are not data frames; fails after `seconds`.
    func waitForOthers(seconds: Double = 20, _ what: String, until predicate: ([String]) -> Bool) async throws {
        try await poll(seconds: seconds, what) { predicate(state.withLock { $0.others }) }
    }

    /// Checks `done` every 20 ms (outside the state's lock, so the reader never waits on it) until it holds.
    private func poll(seconds: Double, _ what: String, _ done: () -> Bool) async throws {
        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < end {
            if done() { return }
            if isClosed { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        struct Timeout: Error, CustomStringConvertible { var description: String }
        let (error, received, data, last, others) = state.withLock {
            ($0.error ?? "-", $0.received.count, $0.dataFrames, $0.received.suffix(3).map(\.text), Array($0.others.suffix(3)))
        }
        throw Timeout(
            description: "gateway client: \(what) did not happen (closed \(isClosed), error \(error), received \(received) of which \(data) data frames, last \(last), last others \(others))"
        )
    }

    /// Closes the connection and waits for it to end.
    func close() async {
        outgoing.finish()
        startReading()
        for _ in 0..<250 where !isClosed { try? await Task.sleep(for: .milliseconds(20)) }
        task.cancel()
        _ = await task.value
    }
}
