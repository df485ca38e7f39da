import Foundation

/// A REST request as the mock broker's handlers see it: header and query names matched case-insensitively,
/// the path with duplicate slashes folded.
public struct MockRequest: Sendable {
    public var method: String
    public var path: String
    /// Lower-cased header names.
    public var headers: [String: String]
    /// Lower-cased query names.
    public var query: [String: String]
    public var body: [UInt8]
    /// When the request counts as arrived for rate limiting: received time plus injected network latency
    /// (so the mock's own scheduling delays never distort what it counts).
    public var arrival: ContinuousClock.Instant?
    /// When the server began reading the request (defaults to when the handler runs).
    public var received: ContinuousClock.Instant?

    public init(method: String, rawPath: String, headers: [(String, String)], body: [UInt8]) {
        self.method = method.uppercased()
        var pathPart = rawPath
        var queryPart = ""
        if let mark = rawPath.firstIndex(of: "?") {
            pathPart = String(rawPath[..<mark])
            queryPart = String(rawPath[rawPath.index(after: mark)...])
        }
        while pathPart.contains("//") { pathPart = pathPart.replacingOccurrences(of: "//", with: "/") }
        if pathPart.count > 1, pathPart.hasSuffix("/") { pathPart.removeLast() }
        path = pathPart
        var headerMap: [String: String] = [:]
        for (name, value) in headers { headerMap[name.lowercased()] = value }
        self.headers = headerMap
        var queryMap: [String: String] = [:]
        for pair in queryPart.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[1])) : ""
            queryMap[name.lowercased()] = value
        }
        query = queryMap
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
    public func parameter(_ name: String) -> String? { query[name.lowercased()] }
}

/// A REST answer.
public struct MockResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: String

    public init(status: Int = 200, headers: [(String, String)] = [], body: String) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func json(_ status: Int, _ body: String, headers: [(String, String)] = []) -> MockResponse {
        MockResponse(status: status, headers: [("content-type", "application/json; charset=utf-8")] + headers, body: body)
    }
}
