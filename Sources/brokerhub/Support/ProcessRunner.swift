import Archiver
import ArgumentParser
import BrokerCore
import Foundation
import HubServer
import Logging
import Realtime
import ServiceLifecycle

/// What every long-running command shares: its logger (one parse of `--log-level` / `BROKERHUB_LOG_LEVEL`),
/// opening `--bus` and `--sink` with the same errors, and running its services as the process's one
/// `ServiceGroup` (SIGTERM/SIGINT drain, `--duration`).
enum ProcessRunner {
    /// A logger at `level` (default: `BROKERHUB_LOG_LEVEL`, else info); a level that does not exist is a usage error.
    static func logger(label: String, level: String?) throws -> Logger {
        var logger = Logger(label: label)
        let level = level ?? ProcessInfo.processInfo.environment["BROKERHUB_LOG_LEVEL"] ?? "info"
        guard let parsed = Logger.Level(rawValue: level) else {
            throw ValidationError("log level must be one of trace, debug, info, notice, warning, error, critical")
        }
        logger.logLevel = parsed
        return logger
    }

    /// `--bus`: a specification it cannot read is a usage error; a bus it cannot open ends with the usage code.
    static func openBus(_ specification: String, logger: Logger) throws -> EventBusSpecification.Opened {
        do {
            return try EventBusSpecification.open(specification, logger: logger)
        } catch let error as BrokerHubError where error.code == .invalidArgument {
            throw ValidationError("--bus: \(error.message)")
        } catch {
            CLIExit.report("cannot open bus \(specification): \(error)")
            throw ExitCode(CLIExit.usage)
        }
    }

    /// `--sink`: the same, for the archive database.
    static func openSink(_ specification: String, logger: Logger) throws -> any ArchiveSink {
        try archiverStep { try ArchiveSinkSpecification.open(specification, logger: logger) }
    }

    /// Runs `make`, mapping an `ArchiverError` to the command's errors (`--sink` usage, or a report and exit 64).
    static func archiverStep<T>(_ make: () throws -> T) throws -> T {
        do {
            return try make()
        } catch let error as ArchiverError where error.code == .invalidSpecification {
            throw ValidationError("--sink: \(error.message)")
        } catch {
            CLIExit.report("\(error)")
            throw ExitCode(CLIExit.usage)
        }
    }

    /// Runs `services` as one group until SIGTERM/SIGINT, or for `duration` seconds when given (then the same
    /// graceful shutdown).
    static func run(_ services: [any Service], drainSeconds: Double, duration: Double? = nil, logger: Logger) async throws {
        try await run(configured: services.map { .init(service: $0) }, drainSeconds: drainSeconds, duration: duration, logger: logger)
    }

    /// The same with each service's termination behaviour (a job that ends the process when it is done).
    static func run(
        configured services: [ServiceGroupConfiguration.ServiceConfiguration], drainSeconds: Double, duration: Double? = nil, logger: Logger
    ) async throws {
        let group = ServiceGroup(configuration: .process(configured: services, drain: .milliseconds(Int64(drainSeconds * 1000)), logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            if let duration {
                tasks.addTask {
                    try await Task.sleep(for: .milliseconds(Int64(duration * 1000)))
                    await group.triggerGracefulShutdown()
                }
            }
            try await tasks.next()
            tasks.cancelAll()
        }
    }
}
