import Archiver
import Testing

/// The stall bookkeeping behind `brokerhub_archiver_stall_seconds`, the stall alert and the archiver's `/ready`.
@Suite("ArchiverProgress", .timeLimit(.minutes(1)))
struct ArchiverProgressTests {
    let start = ContinuousClock.now

    @Test func anIdleArchiverIsNeverStalled() {
        var progress = ArchiverProgress()
        #expect(progress.stalledSeconds(at: start + .seconds(3600)) == 0)
        #expect(progress.check(at: start + .seconds(3600), threshold: .seconds(60)) == .none)
        progress.received(at: start)
        progress.committed(at: start + .seconds(1))
        progress.drained()
        #expect(progress.stalledSeconds(at: start + .seconds(3600)) == 0, "a long quiet spell after the last commit is not a stall")
    }

    @Test func pendingEventsWithNoCommitRaiseOneAlertAndClearOnce() {
        var progress = ArchiverProgress()
        progress.received(at: start)
        #expect(progress.stalledSeconds(at: start + .seconds(10)) == 10)
        #expect(progress.check(at: start + .seconds(59), threshold: .seconds(60)) == .none)
        #expect(progress.check(at: start + .seconds(61), threshold: .seconds(60)) == .raised(seconds: 61))
        #expect(progress.check(at: start + .seconds(90), threshold: .seconds(60)) == .none, "raised once, not every look")
        progress.committed(at: start + .seconds(100))
        #expect(progress.check(at: start + .seconds(101), threshold: .seconds(60)) == .cleared(seconds: 1))
        #expect(!progress.alerting)
    }

    @Test func eachCommitRestartsTheStallClockWhileEventsKeepComing() {
        var progress = ArchiverProgress()
        progress.received(at: start)
        for second in stride(from: 5, through: 300, by: 5) {
            progress.committed(at: start + .seconds(second))
            progress.received(at: start + .seconds(second))
            #expect(progress.stalledSeconds(at: start + .seconds(second + 4)) == 4)
        }
    }

    @Test func moreEventsDoNotRestartTheClockOfAStall() {
        var progress = ArchiverProgress()
        progress.received(at: start)
        progress.received(at: start + .seconds(30))
        #expect(progress.stalledSeconds(at: start + .seconds(40)) == 40)
    }
}
