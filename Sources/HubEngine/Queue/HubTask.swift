import BrokerClients
import BrokerCore
import Foundation

/// A unit of broker work: one catalogued (or proxied) request, followed through up to `maxPages` pages.
public struct HubTask: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var provider: Provider
    /// The account identity (`BrokerAccount.identity`) whose token and budget the task uses.
    public var account: String
    /// The validated first-page request.
    public var request: BrokerRequest
    public var priority: Priority
    public var maxPages: Int
    /// Caller-chosen key; resubmitting with the same key returns the same task.
    public var idempotencyKey: String?
    public var enqueuedAt: Date
    /// After this instant the work is pointless; the task fails with a deadline error.
    public var deadline: Date?

    public init(
        id: String = UUID().uuidString.lowercased(), provider: Provider, account: String, request: BrokerRequest,
        priority: Priority = .interactive, maxPages: Int = 1, idempotencyKey: String? = nil, enqueuedAt: Date, deadline: Date? = nil
    ) {
        self.id = id
        self.provider = provider
        self.account = account
        self.request = request
        self.priority = priority
        self.maxPages = maxPages
        self.idempotencyKey = idempotencyKey
        self.enqueuedAt = enqueuedAt
        self.deadline = deadline
    }
}

/// Where a task is in its life.
public enum TaskState: String, Sendable, Hashable, Codable, CaseIterable {
    case queued, leased, succeeded, failed, cancelled

    public var isFinished: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// Why a task failed, kept with it.
public struct TaskError: Sendable, Hashable, Codable, Error {
    /// `BrokerHubError.Code` raw value, e.g. `broker.error`, `hub.circuit_open`, `hub.deadline`.
    public var code: String
    public var message: String
    /// Broker error category, when the broker answered.
    public var category: String?
    public var brokerCode: String?
    public var httpStatus: Int?

    public init(code: String, message: String, category: String? = nil, brokerCode: String? = nil, httpStatus: Int? = nil) {
        self.code = code
        self.message = message
        self.category = category
        self.brokerCode = brokerCode
        self.httpStatus = httpStatus
    }
}

/// What running a task produced.
public struct TaskOutcome: Sendable, Hashable, Codable {
    /// The broker's answers, one per page, in order (empty on failure before any answer).
    public var pages: [BrokerResponse]
    /// Broker sends made (retries included).
    public var attempts: Int
    public var startedAt: Date
    public var finishedAt: Date
    public var error: TaskError?

    public init(pages: [BrokerResponse], attempts: Int, startedAt: Date, finishedAt: Date, error: TaskError? = nil) {
        self.pages = pages
        self.attempts = attempts
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.error = error
    }
}

/// A task with its state, as the queue keeps it.
public struct TaskRecord: Sendable, Hashable {
    public var task: HubTask
    public var state: TaskState
    public var outcome: TaskOutcome?
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    /// Times the task has been leased (a crash-recovered task is leased again).
    public var leases: Int
    public var updatedAt: Date

    public init(task: HubTask, state: TaskState, outcome: TaskOutcome? = nil, leaseOwner: String? = nil, leaseExpiresAt: Date? = nil, leases: Int = 0, updatedAt: Date) {
        self.task = task
        self.state = state
        self.outcome = outcome
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.leases = leases
        self.updatedAt = updatedAt
    }
}
