import HTTPTypes
import Synchronization

/// The hub's routes as registered (path patterns and their methods), so an unmatched request can be told apart:
/// a path no route has (404) from a method the path does not take (405, with `Allow`).
final class RouteTable: Sendable {
    private let routes = Mutex<[(pattern: [Substring], method: HTTPRequest.Method)]>([])

    /// Records a route; `pattern` in Hummingbird's syntax (`:name` one segment, `**` the rest).
    func add(_ pattern: String, _ method: HTTPRequest.Method) {
        routes.withLock { $0.append((pattern.split(separator: "/"), method)) }
    }

    /// The methods registered for a concrete path, sorted by name (empty when no route has the path).
    func methods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        let methods = routes.withLock { routes in routes.filter { Self.matches($0.pattern, segments) }.map(\.method) }
        return Array(Set(methods)).sorted { $0.rawValue < $1.rawValue }
    }

    private static func matches(_ pattern: [Substring], _ segments: [Substring]) -> Bool {
        for (index, part) in pattern.enumerated() {
            if part == "**" { return segments.count > index }
            guard index < segments.count, part.hasPrefix(":") || part == segments[index] else { return false }
        }
        return pattern.count == segments.count
    }
}
