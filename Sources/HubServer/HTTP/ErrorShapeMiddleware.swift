import HTTPTypes
import HubEngine
import Hummingbird

/// Gives the answers Hummingbird makes itself the documented error body (issue #18 item 13): no route is 404
/// `request.no_route`, a method the path does not take is 405 `request.method_not_allowed` with `Allow`, a body
/// over a route's limit is 413 `request.too_large`. On the broker-native proxy paths the body is the broker's
/// own error shape instead, since broker clients read only that. Outermost, so it sees every route's errors.
struct ErrorShapeMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as any HTTPResponseError {
            // Hummingbird's own (`HTTPError` for no route) and NIO's (`NIOTooManyBytesError` for a body over the limit).
            let shaped = reshape(error, request)
            guard let provider = ProxyRoutes.provider(ofPath: request.uri.path) else { throw shaped }
            var answer = ProxyRoutes.brokerError(provider, status: Int(shaped.status.code), message: shaped.error.message)
            // Counted like every error, with the same headers (`Allow`).
            answer.headers.append(contentsOf: shaped.headers)
            _ = try shaped.response(from: request, context: context)
            return answer
        }
    }

    private func reshape(_ error: any HTTPResponseError, _ request: Request) -> APIError {
        let path = request.uri.path
        let described = "\(request.method.rawValue) \(path.prefix(200))"
        switch error.status {
        case .notFound:
            let allowed = routes.methods(for: path)
            guard !allowed.isEmpty else { return APIError(.noRoute, "no route for \(described)") }
            let names = allowed.map(\.rawValue).joined(separator: ", ")
            return APIError(.methodNotAllowed, "\(described): the path takes \(names)", headers: [.allow: names])
        case .contentTooLarge:
            return APIError(.tooLarge, "\(described): the body is larger than the route takes (docs/http-api.md)")
        default:
            return APIError(.invalidArgument, "\(described): \((error as? HTTPError)?.body ?? error.status.reasonPhrase)")
        }
    }
}
