import BrokerClients
import BrokerCore
import Foundation
import HubEngine

/// The queue implementations the behavioural suite runs against.
enum QueueKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case inMemory
    case sqlite

    var description: String { rawValue }
}

/// A fresh queue of one kind, with the temporary directory that backs it (SQLite) removed on deinit.
final class TaskQueueHarness: Sendable {
    let queue: any TaskQueue
    let clock: ManualClock
    let directory: URL?

    init(_ kind: QueueKind, clock: ManualClock = ManualClock(), scheduler: ShareScheduler = ShareScheduler()) throws {
        self.clock = clock
        switch kind {
        case .inMemory:
            queue = InMemoryTaskQueue(clock: clock, scheduler: scheduler)
            directory = nil
        case .sqlite:
            let directory = TaskQueueHarness.makeTemporaryDirectory()
            let database = try HubDatabase(path: directory.appendingPathComponent("hub.sqlite").path)
            queue = SQLiteTaskQueue(database: database, clock: clock, scheduler: scheduler)
            self.directory = directory
        }
    }

    deinit {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    static func makeTemporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("TaskQueueTests-\(UUID().uuidString.lowercased())", isDirectory: true)
    }
}

enum TaskQueueSamples {
    /// A small, valid-looking KIS quote task.
    static func task(
        _ label: String, priority: Priority = .interactive, key: String? = nil, at enqueuedAt: Date = Date(timeIntervalSince1970: 1_757_289_600)
    ) -> HubTask {
        let request = BrokerRequest(
            provider: .kis, transaction: "FHKST01010100", method: "GET",
            path: "/uapi/domestic-stock/v1/quotations/inquire-price",
            query: [.init("FID_COND_MRKT_DIV_CODE", "J"), .init("FID_INPUT_ISCD", "005930")],
            headers: [.init("custtype", "P")]
        )
        return HubTask(
            id: "task-\(label)", provider: .kis, account: "50000000-01", request: request, priority: priority,
            idempotencyKey: key, enqueuedAt: enqueuedAt
        )
    }

    static func outcome(at instant: Date, error: TaskError? = nil) -> TaskOutcome {
        TaskOutcome(
            pages: error == nil ? [BrokerResponse(status: 200, headers: ["tr_cont": "D"], body: Array(#"{"rt_cd":"0"}"#.utf8))] : [],
            attempts: 1, startedAt: instant, finishedAt: instant.addingTimeInterval(0.25), error: error
        )
    }
}

extension TaskQueue {
    /// Leases until the queue is empty (or `limit` is reached), returning the ids in lease order.
    func drain(owner: String = "w", limit: Int = .max) async throws -> [String] {
        var ids: [String] = []
        while ids.count < limit, let task = try await lease(owner: owner, for: .seconds(60)) { ids.append(task.id) }
        return ids
    }
}
