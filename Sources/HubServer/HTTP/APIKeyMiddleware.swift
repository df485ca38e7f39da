import HTTPTypes
import HubEngine
import Hummingbird

/// Requires a configured API key (`Authorization: Bearer <key>` or `X-API-Key`) on every route but the
/// probes; the broker-native proxy also accepts the key in `X-API-Key` only, since its clients send the
/// broker's own `authorization` header. With no keys configured (loopback only) everything is open.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: Set<String>
    static var open: Set<String> { ["/health", "/ready"] }
    static var proxyPrefixes: [String] { ["/kis/", "/kiwoom/", "/oauth2/", "/uapi/", "/api/dostk/"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !keys.isEmpty, !Self.open.contains(request.uri.path) else { return try await next(request, context) }
        guard let presented = Self.presentedKey(request), keys.contains(presented) else {
            throw APIError(.unauthorized, "missing or unknown API key (send Authorization: Bearer <key> or X-API-Key)")
        }
        return try await next(request, context)
    }

    /// The API key a request presents: `X-API-Key`, or a bearer token except on the proxy (whose clients send the
    /// broker's own `authorization`).
    static func presentedKey(_ request: Request) -> String? {
        if let key = request.headers[HTTPField.Name("X-API-Key")!] { return key }
        let proxied = proxyPrefixes.contains { request.uri.path.hasPrefix($0) }
        guard !proxied, let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") else { return nil }
        return String(authorization.dropFirst(7))
    }
}
