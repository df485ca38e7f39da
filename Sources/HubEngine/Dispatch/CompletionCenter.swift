import Foundation
import Synchronization

/// Wakes callers waiting for a task of this process to finish (others poll the queue).
final class CompletionCenter: Sendable {
    private let waiters = Mutex<[String: [UUID: CheckedContinuation<Void, Never>]]>([:])

    /// Suspends until `finish(id)` or until `timeout` passes, whichever first.
    func wait(for id: String, timeout: Duration) async {
        let token = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    self.waiters.withLock { $0[id, default: [:]][token] = continuation }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                let continuation = self.waiters.withLock { $0[id]?.removeValue(forKey: token) }
                continuation?.resume()
            }
            await group.next()
            group.cancelAll()
        }
    }

    func finish(_ id: String) {
        let waiting = waiters.withLock { $0.removeValue(forKey: id) ?? [:] }
        for continuation in waiting.values { continuation.resume() }
    }
}
