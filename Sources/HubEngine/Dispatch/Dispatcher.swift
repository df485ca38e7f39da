import BrokerCore
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Worker loops that lease tasks from the queue and run them through the gateway, plus maintenance
/// (expired-lease recovery, purge of old results). A `Service`: on graceful shutdown workers finish the
/// task in hand and stop leasing; nothing queued is lost.
public final class Dispatcher: Service, Sendable {
    public struct Configuration: Sendable {
        /// Concurrent workers (sends are still spaced by the rate limiter).
        public var workers = 16
        public var leaseDuration: Duration = .seconds(60)
        /// How often one idle worker is woken to look at the queue (work this process was not told about:
        /// other hubs' submissions, expired leases, retries come due).
        public var idlePoll: Duration = .milliseconds(50)
        public var maintenanceInterval: Duration = .seconds(5)
        /// Finished tasks are kept this long for `GET /v1/jobs/{id}`.
        public var resultRetention: Duration = .seconds(3600)

        public init() {}
    }

    let queue: any TaskQueue
    let gateway: BrokerGateway
    let configuration: Configuration
    let clock: any HubClock
    let logger: Logger
    let completions: CompletionCenter
    /// Identifies this process's leases.
    public let ownerPrefix: String
    private let wakeups = WakeSignal()
    private let busy = Mutex(0)

    public init(queue: any TaskQueue, gateway: BrokerGateway, configuration: Configuration = Configuration(), clock: any HubClock = SystemClock(), logger: Logger = Logger(label: "brokerhub.dispatch")) {
        self.queue = queue
        self.gateway = gateway
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        completions = CompletionCenter(clock: clock)
        ownerPrefix = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
    }

    /// Workers busy with a task right now.
    public var busyWorkers: Int { busy.withLock { $0 } }

    /// Tells idle workers there is work.
    public func notify() { wakeups.notify() }

    public func run() async throws {
        logger.info("dispatcher started", metadata: ["dispatch.workers": "\(configuration.workers)"])
        await withDiscardingTaskGroup { group in
            for index in 0..<configuration.workers {
                group.addTask { await self.work("\(self.ownerPrefix)-w\(index)") }
            }
            group.addTask { await self.maintain() }
            group.addTask { await self.poll() }
        }
        logger.info("dispatcher stopped")
    }

    private func work(_ owner: String) async {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                guard let task = try await queue.lease(owner: owner, for: configuration.leaseDuration) else {
                    await idle()
                    continue
                }
                // There may be more: the next idle worker looks too (a poll wakes only one).
                if wakeups.waiting > 0 { wakeups.notify() }
                busy.withLock { $0 += 1 }
                await run(task, owner: owner)
                busy.withLock { $0 -= 1 }
            } catch {
                logger.error("queue unavailable", metadata: ["error.message": "\(error)"])
                try? await clock.sleep(for: .seconds(1))
            }
        }
    }

    /// Sleeps until notified (a submission, the poll, a worker that found work) or shutdown begins.
    private func idle() async {
        await withGracefulShutdownHandler {
            await wakeups.wait()
        } onGracefulShutdown: {
            for _ in 0..<self.configuration.workers { self.wakeups.notify() }
        }
    }

    /// Wakes one idle worker every `idlePoll`; a worker that finds a task wakes the next. One queue query per
    /// poll, not one per idle worker (16 workers polling SQLite every 50 ms cost a debug hub ~0.2 s of CPU per
    /// second at rest).
    private func poll() async {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do { try await clock.sleep(for: configuration.idlePoll) } catch { return }
            if wakeups.waiting > 0 { wakeups.notify() }
        }
    }

    private func run(_ task: HubTask, owner: String) async {
        let waited = clock.now.timeIntervalSince(task.enqueuedAt)
        Timer(label: "brokerhub_queue_wait_seconds", dimensions: [("priority", task.priority.name)]).recordNanoseconds(Int64(max(0, waited) * 1e9))
        let outcome: TaskOutcome
        if let deadline = task.deadline, clock.now >= deadline {
            outcome = TaskOutcome(pages: [], attempts: 0, startedAt: clock.now, finishedAt: clock.now, error: TaskError(code: BrokerHubError.Code.deadlineExceeded.rawValue, message: "deadline passed while queued"))
        } else {
            // Keep the lease alive while the gateway works (retries and waits can be long).
            let renewal = Task {
                while !Task.isCancelled {
                    try await clock.sleep(for: configuration.leaseDuration / 3)
                    _ = try await queue.renew(task.id, owner: owner, for: configuration.leaseDuration)
                }
            }
            outcome = await gateway.execute(task)
            renewal.cancel()
        }
        // Cancelled (the drain deadline passed) before an answer: the task goes back to the queue for the next
        // start, not down as failed, and not held until its lease expires.
        let interrupted = Task.isCancelled && outcome.error != nil
        // Recorded from a task of its own: a cancelled one could not reach the store.
        await Task { [queue, logger] in
            do {
                if interrupted {
                    try await queue.release(task.id, owner: owner)
                    logger.notice("task released at shutdown; it runs after the next start", metadata: ["task.id": "\(task.id)"])
                    return
                }
                let kept = try await queue.complete(task.id, owner: owner, outcome: outcome, succeeded: outcome.error == nil)
                if !kept { logger.warning("lease lost before completion; result discarded", metadata: ["task.id": "\(task.id)"]) }
            } catch {
                logger.error("cannot record a task's outcome", metadata: ["task.id": "\(task.id)", "error.message": "\(error)"])
            }
        }.value
        if interrupted { return }
        Counter(label: "brokerhub_tasks_finished_total", dimensions: [("priority", task.priority.name), ("result", outcome.error == nil ? "succeeded" : "failed")]).increment()
        completions.finish(task.id)
    }

    private func maintain() async {
        var lastPurge = clock.now
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let recovered = try await queue.recoverExpiredLeases()
                if recovered > 0 {
                    logger.warning("recovered tasks from expired leases", metadata: ["queue.recovered": "\(recovered)"])
                    notify()
                }
                if clock.now.timeIntervalSince(lastPurge) > 60 {
                    _ = try await queue.purge(finishedBefore: clock.now.addingTimeInterval(-configuration.resultRetention.timeInterval))
                    lastPurge = clock.now
                }
                for (priority, count) in try await queue.depth() {
                    Gauge(label: "brokerhub_queue_depth", dimensions: [("priority", priority.name)]).record(count)
                }
            } catch {
                logger.error("queue maintenance failed", metadata: ["error.message": "\(error)"])
            }
            await sleepOrShutdown(configuration.maintenanceInterval)
        }
    }

    private func sleepOrShutdown(_ duration: Duration) async {
        let clock = self.clock
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(for: duration) }
            group.addTask { try? await gracefulShutdown() }
            await group.next()
            group.cancelAll()
        }
    }
}
