import BrokerCore
import Foundation
import Synchronization

/// A circuit breaker: after `failureThreshold` consecutive transient failures it opens and callers fail
/// fast; after `openDuration` one probe is let through (half-open); a success closes it, a failure opens
/// it again. Only failures that say the broker is unwell count (5xx, timeouts, transport); bad requests,
/// not-found, rate limits and token answers do not.
public final class CircuitBreaker: Sendable {
    public struct Policy: Sendable, Hashable {
        public var failureThreshold = 5
        public var openDuration: Duration = .seconds(30)

        public init(failureThreshold: Int = 5, openDuration: Duration = .seconds(30)) {
            self.failureThreshold = failureThreshold
            self.openDuration = openDuration
        }
    }

    public enum State: String, Sendable, Hashable {
        case closed, open, halfOpen = "half_open"

        /// 0 closed, 1 open, 2 half-open (for the gauge).
        public var gaugeValue: Double {
            switch self {
            case .closed: 0
            case .open: 1
            case .halfOpen: 2
            }
        }
    }

    private struct Machine {
        var state = State.closed
        var failures = 0
        var openedAt: Date?
        var probeInFlight = false
        var opened = 0
    }

    public let name: String
    private let policy: Policy
    private let clock: any HubClock
    private let machine = Mutex(Machine())

    public init(name: String, policy: Policy = Policy(), clock: any HubClock = SystemClock()) {
        self.name = name
        self.policy = policy
        self.clock = clock
    }

    /// The state now (an open circuit past its open duration reads as half-open).
    public var state: State {
        machine.withLock { machine in
            if machine.state == .open, let openedAt = machine.openedAt, clock.now >= openedAt.addingTimeInterval(policy.openDuration.timeInterval) {
                return .halfOpen
            }
            return machine.state
        }
    }

    /// Times the circuit has opened.
    public var openCount: Int { machine.withLock { $0.opened } }

    /// Lets a call through or throws `.circuitOpen` at once.
    public func permit() throws {
        let now = clock.now
        try machine.withLock { machine in
            switch machine.state {
            case .closed:
                return
            case .open:
                let reopenAt = (machine.openedAt ?? now).addingTimeInterval(policy.openDuration.timeInterval)
                guard now >= reopenAt else {
                    throw BrokerHubError(.circuitOpen, "\(name): circuit open after \(policy.failureThreshold) consecutive failures; retry after \(KST.iso8601(reopenAt))")
                }
                machine.state = .halfOpen
                machine.probeInFlight = true
            case .halfOpen:
                guard !machine.probeInFlight else {
                    throw BrokerHubError(.circuitOpen, "\(name): circuit half-open; a probe is in flight")
                }
                machine.probeInFlight = true
            }
        }
    }

    /// Records a call's result.
    public func record(success: Bool) {
        let now = clock.now
        machine.withLock { machine in
            machine.probeInFlight = false
            if success {
                machine.state = .closed
                machine.failures = 0
                machine.openedAt = nil
                return
            }
            machine.failures += 1
            if machine.state == .halfOpen || (machine.state == .closed && machine.failures >= policy.failureThreshold) {
                machine.state = .open
                machine.openedAt = now
                machine.opened += 1
            }
        }
    }

    /// Records a call that ended without saying anything about the broker's health (e.g. a bad request):
    /// a half-open probe slot is freed without changing the state.
    public func recordNeutral() {
        machine.withLock { $0.probeInFlight = false }
    }

    /// Whether a broker answer counts against the circuit.
    public static func counts(_ category: BrokerErrorCategory) -> Bool { category == .transient }
}
