import Synchronization

/// Strings collected from concurrent tasks.
public final class Collected: Sendable {
    public init() {}
    private let items = Mutex<[String]>([])
    public func add(_ item: String) { items.withLock { $0.append(item) } }
    public var all: [String] { items.withLock { $0 } }
}
