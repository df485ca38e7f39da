import AsyncHTTPClient
import BrokerCore
import BrokerHubTesting
import BrokerWire
import Foundation
import Logging
import MockBroker
import NIOCore
import NIOHTTP1
import Testing

/// Runs the mock broker on a free loopback port for one test and talks to it over real HTTP.
enum MockHarness {
    static let seed: UInt64 = 99

    static func configuration(_ change: (inout MockBrokerConfiguration) -> Void = { _ in }) -> MockBrokerConfiguration {
        MockBrokerHarness.configuration(seed: seed) { configuration in
            configuration.pushInterval = .milliseconds(50)
            configuration.kisTokenIssueInterval = .milliseconds(300)
            change(&configuration)
        }
    }

    static func run<Result: Sendable>(
        _ configuration: MockBrokerConfiguration = configuration(),
        _ body: @Sendable (MockBroker, String) async throws -> Result
    ) async throws -> Result {
        try await MockBrokerHarness.run(configuration, body)
    }

    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var json: JSONValue? { try? JSONParser.parse(body) }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json; charset=utf-8")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 16 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Array(buffer: buffer))
    }

    static func key(_ broker: MockBroker, _ provider: Provider, index: Int = 0) -> MockCredentials.Key {
        broker.configuration.credentials.keys.filter { $0.provider == provider }[index]
    }

    static func kisToken(_ base: String, _ key: MockCredentials.Key) async throws -> Answer {
        try await send(.POST, base + "/oauth2/tokenP", body: #"{"grant_type":"client_credentials","appkey":"\#(key.appKey)","appsecret":"\#(key.secret)"}"#)
    }

    static func kisAccessToken(_ base: String, _ key: MockCredentials.Key) async throws -> String {
        let answer = try await kisToken(base, key)
        return try #require(answer.json?["access_token"]?.stringValue, "token: \(answer.text)")
    }

    static func kisGet(
        _ base: String, _ key: MockCredentials.Key, token: String, _ transaction: KISTransaction, _ query: String
    ) async throws -> Answer {
        try await send(.GET, base + transaction.path + "?" + query, headers: [
            ("authorization", "Bearer \(token)"), ("appkey", key.appKey), ("appsecret", key.secret),
            ("tr_id", transaction.rawValue), ("custtype", "P"),
        ])
    }

    static func kiwoomToken(_ base: String, _ key: MockCredentials.Key) async throws -> String {
        let answer = try await send(.POST, base + "/oauth2/token", body: #"{"grant_type":"client_credentials","appkey":"\#(key.appKey)","secretkey":"\#(key.secret)"}"#)
        return try #require(answer.json?["token"]?.stringValue, "token: \(answer.text)")
    }

    static func kiwoomPost(_ base: String, token: String, _ transaction: KiwoomTransaction, _ body: String, headers: [(String, String)] = []) async throws -> Answer {
        try await send(.POST, base + transaction.path, headers: [("api-id", transaction.rawValue), ("authorization", "Bearer \(token)")] + headers, body: body)
    }

    static func stats(_ base: String) async throws -> JSONValue {
        try #require(try await send(.GET, base + "/_mock/stats").json)
    }
}
