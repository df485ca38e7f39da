import AsyncHTTPClient
import Foundation
import NIOCore

/// A Server-Sent Events client for the stream tests: opens `url`, and parses `id:`/`event:`/`data:` lines into
/// events as they arrive (comments skipped).
public struct EventStreamReader: Sendable {
    public struct Event: Sendable, Equatable {
        public var id: String?
        public var event: String?
        public var data: String
    }

    public let status: Int
    public let contentType: String
    /// The events as they arrive; ends when the server ends the stream or on `close()`.
    public let events: AsyncThrowingStream<Event, any Error>
    private let continuation: AsyncThrowingStream<Event, any Error>.Continuation

    /// Disconnects (the server sees the connection close).
    public func close() { continuation.finish() }

    /// Opens the stream; returns once the response head has arrived.
    public static func open(_ url: String, headers: [(String, String)] = []) async throws -> EventStreamReader {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "accept", value: "text/event-stream")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        // A client of its own, shut down when the events end or their reader stops: that closes the connection, so
        // the server sees the client go (cancelling the body's iteration alone leaves it open).
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .hours(1))
        } catch {
            try? await client.shutdown()
            throw error
        }
        let (events, continuation) = AsyncThrowingStream.makeStream(of: Event.self)
        let reading = Task {
            var parser = Parser()
            do {
                for try await chunk in response.body {
                    for event in parser.feed(chunk.readableBytesView) { continuation.yield(event) }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in
            reading.cancel()
            Task { try? await client.shutdown() }
        }
        return EventStreamReader(
            status: Int(response.status.code), contentType: response.headers.first(name: "content-type") ?? "", events: events, continuation: continuation
        )
    }

    /// The first `count` events, failing after `timeout` seconds or when the stream ends first.
    public func first(_ count: Int, timeout: Double = 10) async throws -> [Event] {
        let events = self.events
        return try await withThrowingTaskGroup(of: [Event]?.self) { group in
            group.addTask {
                var got: [Event] = []
                for try await event in events {
                    got.append(event)
                    if got.count == count { break }
                }
                return got
            }
            group.addTask {
                try await Task.sleep(for: .seconds(timeout))
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            guard let first else { throw ReaderError(message: "fewer than \(count) events within \(timeout) s") }
            return first
        }
    }

    struct ReaderError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// The `text/event-stream` framing: lines ending in LF, an empty line ends an event.
    struct Parser {
        private var line: [UInt8] = []
        private var current = Event(id: nil, event: nil, data: "")
        private var hasData = false

        mutating func feed(_ bytes: some Sequence<UInt8>) -> [Event] {
            var events: [Event] = []
            for byte in bytes {
                guard byte == UInt8(ascii: "\n") else {
                    line.append(byte)
                    continue
                }
                let text = String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line[...], as: UTF8.self)
                line.removeAll(keepingCapacity: true)
                if text.isEmpty {
                    if hasData { events.append(current) }
                    current = Event(id: nil, event: nil, data: "")
                    hasData = false
                } else if !text.hasPrefix(":") {
                    let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                    let field = String(parts[0])
                    var value = parts.count > 1 ? String(parts[1]) : ""
                    if value.hasPrefix(" ") { value.removeFirst() }
                    switch field {
                    case "id": current.id = value
                    case "event": current.event = value
                    case "data":
                        current.data += hasData ? "\n" + value : value
                        hasData = true
                    default: break
                    }
                }
            }
            return events
        }
    }
}
