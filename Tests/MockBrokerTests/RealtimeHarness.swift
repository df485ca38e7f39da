import BrokerCore
import BrokerWire
import Foundation
import HummingbirdWSClient
import Logging
import MockBroker
import Synchronization
import Testing

/// Realtime helpers: a WebSocket client session with a deadline, and the subscribe messages.
enum RealtimeHarness {
    struct TimedOut: Error {}

    /// Runs `body`, failing with `TimedOut` after `seconds`.
    static func withDeadline<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw TimedOut() }
            return value
        }
    }

    static var logger: Logger {
        var logger = Logger(label: "test.ws")
        logger.logLevel = .warning
        return logger
    }

    /// Connects to `url` and hands the session to `body`; returns what `body` returned.
    static func session<T: Sendable>(
        _ url: String, seconds: Double = 20,
        _ body: @escaping @Sendable (WebSocketInboundStream, WebSocketOutboundWriter) async throws -> T
    ) async throws -> T {
        let result = Mutex<T?>(nil)
        try await withDeadline(seconds) {
            // Frames as large as the collector takes (SessionRunner: 4 MiB): with the push loop late under load, one
            // Kiwoom REAL message carries every trade that became due and passes the client's default 16 KiB, which
            // closed the connection in the middle of a test.
            try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 22), logger: logger) { inbound, outbound, _ in
                let value = try await body(inbound, outbound)
                result.withLock { $0 = value }
            }
        }
        return try #require(result.withLock { $0 })
    }

    static func kisSubscribe(_ approval: String, _ trID: String, _ key: String, type: String = "1") -> String {
        #"{"header":{"approval_key":"\#(approval)","custtype":"P","tr_type":"\#(type)","content-type":"utf-8"},"body":{"input":{"tr_id":"\#(trID)","tr_key":"\#(key)"}}}"#
    }

    static func approvalKey(_ base: String, _ key: MockCredentials.Key) async throws -> String {
        let answer = try await MockHarness.send(.POST, base + "/oauth2/Approval", body: #"{"grant_type":"client_credentials","appkey":"\#(key.appKey)","secretkey":"\#(key.secret)"}"#)
        return try #require(answer.json?["approval_key"]?.stringValue)
    }

    static func wsURL(_ base: String, _ path: String) -> String { "ws" + base.dropFirst(4) + path }
}
