import Foundation
import RedisClient
import RedisWire
import Synchronization
import Testing

/// The performance issue's regression: the archiver once stopped when a blocking bus read and an acknowledgement ran
/// at the same time on one `RedisClient` (a continuation never resumed). Here a writer, a reader (`XREADGROUP …
/// BLOCK`) and an acknowledger run concurrently on one client for a long stretch; every entry must be read and
/// acknowledged, and a stretch of 5 s without progress fails the test with where each part stood — never a hang.
@Suite(
    "RedisClient: blocking reads and acknowledgements at once (shared Redis)", .timeLimit(.minutes(3)),
    .enabled(if: RedisTestEnvironment.url != nil, "BROKERHUB_TEST_REDIS_URL is not set: run scripts/test.sh, which starts Redis")
)
struct RedisStreamConcurrencyTests {
    struct Progress {
        var written = 0
        var writerDone = false
        var read = 0
        var acknowledged = 0
        var readCalls = 0
        var ackCalls = 0
    }

    /// The parts' shared progress.
    final class Shared: Sendable {
        private let state = Mutex(Progress())
        func withLock<T>(_ body: (inout Progress) -> T) -> T { state.withLock { body(&$0) } }
    }

    @Test("writer, blocking reader and acknowledger on one client for 20 s: all read, all acknowledged")
    func readsAndAcksAtOnce() async throws {
        let client = try RedisTestEnvironment.client()
        let key = RedisTestEnvironment.prefix("concurrency") + "events"
        #expect(try await client.xgroupCreate(key, group: "archiver", id: "0") == true)
        let progress = Shared()
        let (batches, handOver) = AsyncStream<[String]>.makeStream()
        let stretch = Duration.seconds(20)
        let clock = ContinuousClock()
        let end = clock.now + stretch

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { // writer: small batches, as a collector publishes
                var n = 0
                while clock.now < end {
                    for _ in 0..<20 {
                        _ = try await client.xadd(key, fields: [("n", Array("\(n)".utf8))])
                        n += 1
                    }
                    progress.withLock { $0.written = n }
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0...3)))
                }
                progress.withLock { $0.writerDone = true }
            }
            group.addTask { // reader: blocking reads until the writer is done and everything was read
                defer { handOver.finish() }
                while true {
                    let entries = try await client.xreadgroup(
                        group: "archiver", consumer: "a", streams: [(key, ">")], count: 500, block: .milliseconds(Int.random(in: 1...50))
                    )
                    let state = progress.withLock { state -> Progress in
                        state.read += entries.count
                        state.readCalls += 1
                        return state
                    }
                    if !entries.isEmpty { handOver.yield(entries.map(\.id)) }
                    if state.writerDone, entries.isEmpty, state.read >= state.written { return }
                }
            }
            group.addTask { // acknowledger: acknowledges each batch while the next read is under way
                for await ids in batches {
                    let acknowledged = try await client.xack(key, group: "archiver", ids: ids)
                    progress.withLock {
                        $0.acknowledged += acknowledged
                        $0.ackCalls += 1
                    }
                }
            }
            group.addTask { // watchdog: no progress for 5 s is the hang this test is about
                var last = progress.withLock { $0.readCalls + $0.ackCalls }
                var still = Duration.zero
                while true {
                    try await Task.sleep(for: .milliseconds(250))
                    let state = progress.withLock { $0 }
                    if state.writerDone, state.read >= state.written, state.acknowledged >= state.read { return }
                    let now = state.readCalls + state.ackCalls
                    still = now == last ? still + .milliseconds(250) : .zero
                    last = now
                    if still >= .seconds(5) {
                        throw RedisError(.timeout, "no read or acknowledgement returned for 5 s: \(state)")
                    }
                }
            }
            try await group.waitForAll()
        }
        let state = progress.withLock { $0 }
        #expect(state.written > 1_000)
        #expect(state.read == state.written)
        #expect(state.acknowledged == state.written)
        #expect(try await client.xpendingSummary(key, group: "archiver").count == 0)
    }
}
