import AsyncHTTPClient
import BrokerCore
import Foundation
import NIOCore
import NIOHTTP1

/// Sends broker requests over AsyncHTTPClient with a timeout. Logs nothing: headers carry secrets.
public struct HTTPTransport: Sendable {
    public let client: HTTPClient
    /// Largest body accepted from a broker.
    public var maximumBodySize = 32 << 20

    /// The process-wide client for broker traffic. Its pool is large on purpose: a send granted by the rate
    /// limiter must leave at once — waiting for a free connection would delay some sends and not others,
    /// bunching arrivals at the broker into a window the limiter never granted.
    public static let brokerClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 128)
        configuration.timeout = .init(connect: .seconds(5))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(client: HTTPClient = HTTPTransport.brokerClient) {
        self.client = client
    }

    /// Performs one exchange. Transport failures and timeouts throw a transient broker error.
    public func perform(
        provider: Provider, method: String, url: String, headers: [(String, String)], body: [UInt8], timeout: Duration
    ) async throws -> BrokerResponse {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.timeInterval * 1e9)))
            let buffer = try await response.body.collect(upTo: maximumBodySize)
            var fields: [String: String] = [:]
            for header in response.headers { fields[header.name.lowercased()] = header.value }
            return BrokerResponse(status: Int(response.status.code), headers: fields, body: Array(buffer: buffer))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw BrokerHubError.broker(BrokerFailure(provider: provider, category: .transient, httpStatus: 0, code: "timeout", message: "no answer within \(timeout)"))
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as BrokerHubError {
            throw error
        } catch {
            throw BrokerHubError(
                .brokerError, "\(provider.rawValue) transport failure: \(error)",
                failure: BrokerFailure(provider: provider, category: .transient, httpStatus: 0, code: "transport", message: "\(error)"),
                underlying: error
            )
        }
    }

    /// `base` + `path` + percent-encoded query.
    public static func url(base: String, path: String, query: [BrokerRequest.QueryItem]) -> String {
        var url = base.hasSuffix("/") ? String(base.dropLast()) : base
        url += path
        guard !query.isEmpty else { return url }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text }
        return url + "?" + query.map { encode($0.name) + "=" + encode($0.value) }.joined(separator: "&")
    }
}


