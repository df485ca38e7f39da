import HTTPTypes
import HubEngine
import Hummingbird

/// Keeps web pages out of the hub (issue #18 item 6). A page on another site can make a browser send requests
/// to a loopback hub — a "simple" `text/plain` POST needs no CORS preflight, and DNS rebinding makes the
/// page's own name point at 127.0.0.1 — so:
/// - without API keys (loopback only), a `Host` that is not a loopback name (or in `allowedHosts`) is refused:
///   that is what a rebinding page sends;
/// - an `Origin` other than the hub's own (loopback, or an allowed host) is refused, keys or not;
/// - `POST` under `/v1/` must carry `application/json` (a form or `text/plain` body is a browser's doing);
/// - an `Origin` naming the `Host` asked (the hub's own page, e.g. the dashboard's login form) is the hub's own;
/// - the dashboard gets a content security policy and may not be framed.
///
/// Refusals are 403 `hub.forbidden` (415 `request.unsupported_media_type` for the media type), counted in
/// `brokerhub_http_errors_total{code}` like every error the API answers.
struct BrowserGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Extra host names (without port) accepted in `Host` and `Origin`; `*` accepts any.
    let allowedHosts: Set<String>
    /// Whether callers must present API keys (then `Host` is not checked: a page cannot know a key).
    let keysRequired: Bool

    static var loopbackNames: Set<String> { ["localhost", "127.0.0.1", "[::1]", "::1"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if !keysRequired, path != "/health", path != "/ready" {
            let host = request.head.authority ?? ""
            guard accepts(Self.name(ofAuthority: host)) else {
                throw APIError(.forbidden, "Host \(host.prefix(100)) is not this hub's (loopback, or BROKERHUB_ALLOWED_HOSTS)")
            }
        }
        if let origin = request.headers[.origin], !Self.isSameOrigin(origin, request) {
            guard let name = Self.name(ofOrigin: origin), accepts(name) else {
                throw APIError(.forbidden, "requests from the web page at \(origin.prefix(100)) are refused (Origin is not this hub's)")
            }
        }
        if request.method == .post, path.hasPrefix("/v1/") {
            let type = (request.headers[.contentType] ?? "").lowercased()
            guard type.hasPrefix("application/json") else {
                throw APIError(.unsupportedMediaType, "POST \(path) takes Content-Type: application/json")
            }
        }
        var response = try await next(request, context)
        if path.hasPrefix("/dashboard") {
            response.headers[.contentSecurityPolicy] = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
            response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
            response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
            response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        }
        return response
    }

    private func accepts(_ name: String?) -> Bool {
        guard let name = name?.lowercased(), !name.isEmpty else { return false }
        return Self.loopbackNames.contains(name) || allowedHosts.contains(name) || allowedHosts.contains("*")
    }

    /// The page making the request is the hub's own (its Origin names the Host it asks): the dashboard's login
    /// form. Safe in both modes: without keys the Host itself must be loopback or allowed; with keys a page on
    /// another name holds no key.
    static func isSameOrigin(_ origin: String, _ request: Request) -> Bool {
        guard let schemeEnd = origin.range(of: "://"), let authority = request.head.authority else { return false }
        return origin[schemeEnd.upperBound...].lowercased() == authority.lowercased()
    }

    /// `host[:port]` or `[v6]:port` → the name.
    static func name(ofAuthority authority: String) -> String? {
        if authority.hasPrefix("[") {
            guard let end = authority.firstIndex(of: "]") else { return nil }
            return String(authority[...end])
        }
        return authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
    }

    /// `scheme://host[:port]` → the name; nil for anything else (including `null`).
    static func name(ofOrigin origin: String) -> String? {
        guard let schemeEnd = origin.range(of: "://") else { return nil }
        return name(ofAuthority: String(origin[schemeEnd.upperBound...]))
    }
}
