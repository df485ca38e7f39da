import BrokerCore
import BrokerHubTesting
import Foundation
import HubEngine
import Testing

@Suite("CircuitBreaker", .timeLimit(.minutes(5)))
struct CircuitBreakerTests {
    static func fail(_ breaker: CircuitBreaker, times: Int) throws {
        for _ in 0..<times {
            try breaker.permit()
            breaker.record(success: false)
        }
    }

    static func expectOpen(_ breaker: CircuitBreaker, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: BrokerHubError.self, sourceLocation: sourceLocation) { try breaker.permit() }
        #expect(error?.code == .circuitOpen, sourceLocation: sourceLocation)
        #expect(error?.code.rawValue == "hub.circuit_open", sourceLocation: sourceLocation)
    }

    @Test("five consecutive failures open the circuit; permits then fail fast with hub.circuit_open")
    func opensAfterFiveFailures() throws {
        let clock = ManualClock()
        let breaker = CircuitBreaker(name: "kis", clock: clock)
        try Self.fail(breaker, times: 4)
        #expect(breaker.state == .closed)
        try breaker.permit()
        breaker.record(success: false)
        #expect(breaker.state == .open)
        #expect(breaker.openCount == 1)
        Self.expectOpen(breaker)
        Self.expectOpen(breaker)
        #expect(clock.sleeperCount == 0, "an open circuit never makes callers wait")
    }

    @Test("a success resets the consecutive-failure count")
    func successResets() throws {
        let breaker = CircuitBreaker(name: "kis", clock: ManualClock())
        try Self.fail(breaker, times: 4)
        try breaker.permit()
        breaker.record(success: true)
        try Self.fail(breaker, times: 4)
        #expect(breaker.state == .closed)
        try breaker.permit()
        breaker.record(success: false)
        #expect(breaker.state == .open)
    }

    @Test("after 30 s the circuit half-opens and lets exactly one probe through")
    func halfOpenSingleProbe() throws {
        let clock = ManualClock()
        let breaker = CircuitBreaker(name: "kis", clock: clock)
        try Self.fail(breaker, times: 5)
        clock.advance(by: .seconds(29))
        #expect(breaker.state == .open)
        Self.expectOpen(breaker)
        clock.advance(by: .seconds(1))
        #expect(breaker.state == .halfOpen)
        try breaker.permit() // the probe
        Self.expectOpen(breaker) // a second caller while the probe is in flight
        Self.expectOpen(breaker)
        #expect(breaker.state == .halfOpen)
    }

    @Test("a successful probe closes the circuit")
    func probeSuccessCloses() throws {
        let clock = ManualClock()
        let breaker = CircuitBreaker(name: "kis", clock: clock)
        try Self.fail(breaker, times: 5)
        clock.advance(by: .seconds(30))
        try breaker.permit()
        breaker.record(success: true)
        #expect(breaker.state == .closed)
        for _ in 0..<10 { try breaker.permit() }
        // And the count starts again from zero.
        try Self.fail(breaker, times: 4)
        #expect(breaker.state == .closed)
    }

    @Test("a failed probe opens the circuit again for another full open duration")
    func probeFailureReopens() throws {
        let clock = ManualClock()
        let breaker = CircuitBreaker(name: "kis", clock: clock)
        try Self.fail(breaker, times: 5)
        clock.advance(by: .seconds(30))
        try breaker.permit()
        breaker.record(success: false)
        #expect(breaker.state == .open)
        #expect(breaker.openCount == 2)
        Self.expectOpen(breaker)
        clock.advance(by: .seconds(29))
        Self.expectOpen(breaker)
        clock.advance(by: .seconds(1))
        try breaker.permit()
        Self.expectOpen(breaker)
    }

    @Test("recordNeutral frees the probe slot without changing the state")
    func neutralFreesProbe() throws {
        let clock = ManualClock()
        let breaker = CircuitBreaker(name: "kis", clock: clock)
        try Self.fail(breaker, times: 5)
        clock.advance(by: .seconds(30))
        try breaker.permit()
        breaker.recordNeutral()
        #expect(breaker.state == .halfOpen)
        try breaker.permit() // the slot is free again
        Self.expectOpen(breaker)
        breaker.record(success: true)
        #expect(breaker.state == .closed)
    }

    @Test("neutral results never open the circuit")
    func neutralDoesNotCount() throws {
        let breaker = CircuitBreaker(name: "kis", clock: ManualClock())
        for _ in 0..<20 {
            try breaker.permit()
            breaker.recordNeutral()
        }
        #expect(breaker.state == .closed)
    }

    @Test("a custom policy: threshold 2, open 300 ms")
    func customPolicy() throws {
        let clock = ManualClock()
        let breaker = CircuitBreaker(name: "kiwoom", policy: .init(failureThreshold: 2, openDuration: .milliseconds(300)), clock: clock)
        try Self.fail(breaker, times: 2)
        Self.expectOpen(breaker)
        clock.advance(by: .milliseconds(299))
        Self.expectOpen(breaker)
        clock.advance(by: .milliseconds(1))
        try breaker.permit()
    }

    @Test("only transient failures count against the circuit", arguments: BrokerErrorCategory.allCases)
    func countsOnlyTransient(category: BrokerErrorCategory) {
        #expect(CircuitBreaker.counts(category) == (category == .transient))
    }

    @Test("state gauge values")
    func gauge() {
        #expect(CircuitBreaker.State.closed.gaugeValue == 0)
        #expect(CircuitBreaker.State.open.gaugeValue == 1)
        #expect(CircuitBreaker.State.halfOpen.gaugeValue == 2)
        #expect(CircuitBreaker.State.halfOpen.rawValue == "half_open")
    }
}
