import AsyncHTTPClient
import BrokerWire
import Foundation
import NIOCore
import NIOHTTP1

/// HTTP helpers for the end-to-end tests.
public enum Web {
    public struct Answer: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: [UInt8]
        public var json: JSONValue? { try? JSONParser.parse(body) }
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// A client that answers redirects instead of following them (a login's `303` and its `Set-Cookie`).
    static let unredirected = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    public static func send(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: String? = nil, timeout: Int64 = 60, followRedirects: Bool = true
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            if request.headers["content-type"].isEmpty { request.headers.add(name: "content-type", value: "application/json") }
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await (followRedirects ? HTTPClient.shared : unredirected).execute(request, timeout: .seconds(timeout))
        let buffer = try await response.body.collect(upTo: 32 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Array(buffer: buffer))
    }

    public static func get(_ url: String, headers: [(String, String)] = []) async throws -> Answer { try await send(.GET, url, headers: headers) }
    public static func post(_ url: String, _ body: String, headers: [(String, String)] = []) async throws -> Answer { try await send(.POST, url, headers: headers, body: body) }
}
