import Foundation

extension ProgressLine {
    /// Runs `body` while a progress line reports `done()` of `total`: every half second on a terminal, every `every`
    /// seconds (and at the end) as a plain line when piped. The line is finished before this returns.
    static func running<T: Sendable>(
        label: String, total: Double, unit: String, every: Double = 10, done: @escaping @Sendable () -> Double,
        detail: @escaping @Sendable () -> String = { "" }, _ body: () async throws -> T
    ) async throws -> T {
        let start = Date()
        let reporter = Task {
            var line = ProgressLine(label: label, total: total, unit: unit, every: every)
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                if Task.isCancelled { break }
                if let text = line.update(done: min(total, done()), elapsed: Date().timeIntervalSince(start), detail: detail()) {
                    FileHandle.standardOutput.write(Data(text.utf8))
                }
            }
            if let end = line.finish() { FileHandle.standardOutput.write(Data(end.utf8)) }
        }
        defer { reporter.cancel() }
        let result = try await body()
        reporter.cancel()
        await reporter.value
        return result
    }
}
