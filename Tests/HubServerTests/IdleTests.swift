import ProcessTestSupport
import Testing

@Suite("Hub process at rest", .timeLimit(.minutes(5)))
struct IdleTests {
    /// Idle workers must sleep until woken or their poll comes round. (They once spun on the queue, using
    /// 1.5 of the 2 cores with no traffic at all.) A spinning hub uses ~2 s of CPU per second here; the bound
    /// is far from both, so machine load cannot make this flaky.
    @Test func anIdleHubUsesAlmostNoCPU() async throws {
        let stack = try await HubStack.start()
        try await withCleanup({ await stack.stop() }) { () async throws in
            let used = try await stack.hubCPUSecondsAtRest(over: 3)
            #expect(used >= 0 && used < 0.6, "an idle hub used \(used) s of CPU in 3 s")
        }
    }
}
