import BrokerCore
import Foundation

/// How the queues turn tasks and outcomes into stored bytes and back.
///
/// Payloads are JSON with `Date` in Foundation's default (`deferredToDate`) form, which round-trips a
/// `Date` exactly; the queue's own time columns are `Double` seconds since 1970.
enum TaskQueueCoding {
    static func encode(_ task: HubTask) throws -> Data {
        try JSONEncoder().encode(task)
    }

    static func encode(_ outcome: TaskOutcome) throws -> Data {
        try JSONEncoder().encode(outcome)
    }

    static func decodeTask(_ data: Data, id: String) throws -> HubTask {
        do {
            return try JSONDecoder().decode(HubTask.self, from: data)
        } catch {
            throw BrokerHubError(.malformedPayload, "stored task \(id): unreadable payload", underlying: error)
        }
    }

    static func decodeOutcome(_ data: Data, id: String) throws -> TaskOutcome {
        do {
            return try JSONDecoder().decode(TaskOutcome.self, from: data)
        } catch {
            throw BrokerHubError(.malformedPayload, "stored task \(id): unreadable outcome", underlying: error)
        }
    }

    /// Seconds since 1970, as stored in the time columns.
    static func seconds(_ date: Date) -> Double { date.timeIntervalSince1970 }

    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }
}
