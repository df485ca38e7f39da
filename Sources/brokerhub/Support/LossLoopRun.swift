import Archiver
import ArgumentParser
import BrokerCore
import Foundation
import History
import Synchronization

/// How `verify` and `backfill` run their work: a live progress line on a terminal (symbols done / total), nothing
/// extra when piped (the output is the report); the archive closed afterwards whatever happened; errors mapped to exit
/// codes — the hub's own (unreachable, busy, breaker open) 69, a bad argument 64, anything else (the archive) 74.
enum LossLoopRun {
    static func perform<T: Sendable>(
        store: any ArchiveSink, label: String, _ body: (@escaping @Sendable (Int, Int) -> Void) async throws -> T
    ) async throws -> T {
        let counts = Mutex((done: 0, total: 0))
        let progress: @Sendable (Int, Int) -> Void = { done, total in counts.withLock { $0 = (done, total) } }
        do {
            let result: T
            if ProgressLine.standardOutputIsTerminal {
                result = try await ProgressLine.running(
                    label: label, total: 1, unit: "", every: 10,
                    done: { let c = counts.withLock { $0 }; return c.total > 0 ? Double(c.done) / Double(c.total) : 0 },
                    detail: { let c = counts.withLock { $0 }; return "\(c.done)/\(c.total) symbols" }
                ) { try await body(progress) }
            } else {
                result = try await body(progress)
            }
            try? await store.close()
            return result
        } catch let error as BrokerHubError {
            try? await store.close()
            CLIExit.report("\(label): \(error.code): \(error.message)")
            throw ExitCode(error.code == .invalidArgument ? CLIExit.usage : CLIExit.unavailable)
        } catch {
            try? await store.close()
            CLIExit.report("\(label): the archive failed: \(error)")
            throw ExitCode(CLIExit.ioError)
        }
    }
}
