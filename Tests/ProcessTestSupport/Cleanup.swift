/// Runs `body`, then `cleanup` whether `body` returned or threw: the `defer` of async clean-ups (stopping
/// processes), which a `defer` block cannot await.
public func withCleanup<T>(_ cleanup: () async -> Void, _ body: () async throws -> T) async throws -> T {
    let result: T
    do {
        result = try await body()
    } catch {
        await cleanup()
        throw error
    }
    await cleanup()
    return result
}
