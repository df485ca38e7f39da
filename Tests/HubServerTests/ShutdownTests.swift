import Foundation
import ProcessTestSupport
import Testing

/// A hub stops promptly on SIGTERM whatever it is waiting for.
@Suite("Hub shutdown (real processes)", .timeLimit(.minutes(3)))
struct ShutdownTests {
    /// CI met it: a second hub on the same app key with its own token store asks for a KIS token within the
    /// broker's minute, gets EGW00133 and waits out 61 s; SIGTERM then ended in ServiceGroup's "cancellation
    /// took longer than allowed" (a crash) because the waiters could not be cancelled.
    @Test("SIGTERM while a token issuance waits out EGW00133: the hub exits cleanly once its drain is over")
    func sigtermDuringTheTooFrequentWait() async throws {
        try await HubStack.with(hubEnvironment: ["BROKERHUB_DRAIN_SECONDS": "2"], hubCount: 2) { stack in
            let quote = "/v1/quotes/005930?provider=kis"
            #expect(try await Web.get(stack.hubs[0].url + quote).status == 200, "the first hub's token")
            let waiting = Task { try? await Web.get(stack.hubs[1].url + quote) }
            try await waitUntil(timeout: 20) { stack.hubs[1].output.contains("EGW00133") }
            #expect(stack.hubs[1].output.contains("EGW00133"), "the second hub met EGW00133: \(stack.hubs[1].output.suffix(1500))")
            let started = ContinuousClock.now
            await stack.hubs[1].stop(deadline: .seconds(20))
            let took = started.duration(to: .now)
            let answer = await waiting.value
            print("shutdown: stopped after \(took); the waiting request got \(answer.map { "\($0.status) \($0.text.prefix(200))" } ?? "no answer")")
            // The drain (2 s) lets the request in hand try to finish; then it is cancelled, and so is the issuance
            // (before: still waiting 5 s later, the process was ended by ServiceGroup, SIGILL).
            #expect(took < .seconds(6), "stopped after \(took)")
            #expect(stack.hubs[1].process.terminationReason == .exit, "\(stack.hubs[1].output.suffix(1500))")
            #expect(!stack.hubs[1].output.contains("Cancellation took longer"))
        }
    }

    private func waitUntil(timeout: Double, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
    }
}
