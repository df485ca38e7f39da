import BrokerCore
import Foundation
import HubEngine
import RedisWire

/// Task hashes to `TaskRecord`s and back. Payloads are JSON in the same form the embedded queues store
/// (`Date` as Foundation's default), so a task round-trips exactly; times are seconds since 1970 as text.
enum RedisTaskCoding {
    static func encode(_ task: HubTask) throws -> [UInt8] { Array(try JSONEncoder().encode(task)) }

    static func encode(_ outcome: TaskOutcome) throws -> [UInt8] { Array(try JSONEncoder().encode(outcome)) }

    static func decodeTask(_ bytes: [UInt8], id: String) throws -> HubTask {
        do {
            return try JSONDecoder().decode(HubTask.self, from: Data(bytes))
        } catch {
            throw BrokerHubError(.malformedPayload, "stored task \(id): unreadable payload", underlying: error)
        }
    }

    /// The record in an `HGETALL` reply; nil for an empty or null reply (no such task).
    static func record(from reply: RESPValue) throws -> TaskRecord? {
        if reply.isNull { return nil }
        guard let values = reply.array else {
            throw BrokerHubError(.malformedPayload, "stored task: unexpected reply \(reply)")
        }
        if values.isEmpty { return nil }
        var fields: [String: [UInt8]] = [:]
        for index in stride(from: 0, to: values.count - 1, by: 2) {
            if let name = values[index].string, let value = values[index + 1].bytes { fields[name] = value }
        }
        let id = fields["id"].map { String(decoding: $0, as: UTF8.self) } ?? "?"
        func text(_ name: String) -> String? { fields[name].map { String(decoding: $0, as: UTF8.self) } }
        func date(_ name: String) -> Date? { text(name).flatMap(Double.init).map(Date.init(timeIntervalSince1970:)) }

        guard let payload = fields["payload"], let stateName = text("state"), let state = TaskState(rawValue: stateName),
              let updatedAt = date("updated_at")
        else { throw BrokerHubError(.malformedPayload, "stored task \(id): incomplete record") }
        let outcome: TaskOutcome?
        if let data = fields["outcome"] {
            do {
                outcome = try JSONDecoder().decode(TaskOutcome.self, from: Data(data))
            } catch {
                throw BrokerHubError(.malformedPayload, "stored task \(id): unreadable outcome", underlying: error)
            }
        } else {
            outcome = nil
        }
        return TaskRecord(
            task: try decodeTask(payload, id: id), state: state, outcome: outcome, leaseOwner: text("owner"),
            leaseExpiresAt: date("lease_expires_at"), leases: text("attempts").flatMap { Int($0) } ?? 0, updatedAt: updatedAt
        )
    }
}
