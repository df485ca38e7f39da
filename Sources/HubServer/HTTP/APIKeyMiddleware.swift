import Foundation
import HTTPTypes
import HubEngine
import Hummingbird

/// Requires a configured API key (`Authorization: Bearer <key>` or `X-API-Key`) on every route but the
/// probes; the broker-native proxy also accepts the key in `X-API-Key` only, since its clients send the
/// broker's own `authorization` header. With no keys configured (loopback only) everything is open.
///
/// The dashboard is for people: without a key `GET /dashboard` answers its login page (401), whose form posts
/// to `/dashboard/login`; a valid key is kept in an `HttpOnly`, `SameSite=Strict` cookie that counts only for
/// reading the dashboard and `/v1/status` (never for a write, never on the proxy).
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: Set<String>
    static var open: Set<String> { ["/health", "/ready", "/dashboard/login", "/dashboard/logout"] }
    /// What the dashboard cookie may read.
    static var cookiePaths: Set<String> { ["/dashboard", "/v1/status"] }
    static var cookieName: String { "brokerhub_key" }
    static var proxyPrefixes: [String] { ["/kis/", "/kiwoom/", "/oauth2/", "/uapi/", "/api/dostk/"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !keys.isEmpty, !Self.open.contains(request.uri.path) else { return try await next(request, context) }
        guard let presented = Self.presentedKey(request), keys.contains(presented) else {
            if request.method == .get, request.uri.path == "/dashboard" { return Dashboard.login(message: nil) }
            throw APIError(.unauthorized, "missing or unknown API key (send Authorization: Bearer <key> or X-API-Key)")
        }
        return try await next(request, context)
    }

    /// The API key a request presents: `X-API-Key`, or a bearer token except on the proxy (whose clients send the
    /// broker's own `authorization`).
    static func presentedKey(_ request: Request) -> String? {
        if let key = request.headers[HTTPField.Name("X-API-Key")!] { return key }
        if request.method == .get, cookiePaths.contains(request.uri.path), let key = cookie(cookieName, in: request) { return key }
        let proxied = proxyPrefixes.contains { request.uri.path.hasPrefix($0) }
        guard !proxied, let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") else { return nil }
        return String(authorization.dropFirst(7))
    }

    /// A cookie's value from the request's `Cookie` headers.
    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return String(parts[1]).removingPercentEncoding ?? String(parts[1])
                }
            }
        }
        return nil
    }
}
