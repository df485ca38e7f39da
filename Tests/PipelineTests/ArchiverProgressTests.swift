import Archiver
import Foundation
import Testing

/// The stall bookkeeping behind `brokerhub_archiver_stall_seconds`, the stall alert and the archiver's `/ready`.
@Suite("ArchiverProgress", .timeLimit(.minutes(1)))
struct ArchiverProgressTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func anIdleArchiverIsNeverStalled() {
        var progress = ArchiverProgress()
        #expect(progress.stalledSeconds(at: start.addingTimeInterval(TimeInterval(3600))) == 0)
        #expect(progress.check(at: start.addingTimeInterval(TimeInterval(3600)), threshold: .seconds(60)) == .none)
        progress.received(at: start)
        progress.committed(at: start.addingTimeInterval(TimeInterval(1)))
        progress.drained()
        #expect(progress.stalledSeconds(at: start.addingTimeInterval(TimeInterval(3600))) == 0, "a long quiet spell after the last commit is not a stall")
    }

    @Test func pendingEventsWithNoCommitRaiseOneAlertAndClearOnce() {
        var progress = ArchiverProgress()
        progress.received(at: start)
        #expect(progress.stalledSeconds(at: start.addingTimeInterval(TimeInterval(10))) == 10)
        #expect(progress.check(at: start.addingTimeInterval(TimeInterval(59)), threshold: .seconds(60)) == .none)
        #expect(progress.check(at: start.addingTimeInterval(TimeInterval(61)), threshold: .seconds(60)) == .raised(seconds: 61))
        #expect(progress.check(at: start.addingTimeInterval(TimeInterval(90)), threshold: .seconds(60)) == .none, "raised once, not every look")
        progress.committed(at: start.addingTimeInterval(TimeInterval(100)))
        #expect(progress.check(at: start.addingTimeInterval(TimeInterval(101)), threshold: .seconds(60)) == .cleared(seconds: 1))
        #expect(!progress.alerting)
    }

    @Test func eachCommitRestartsTheStallClockWhileEventsKeepComing() {
        var progress = ArchiverProgress()
        progress.received(at: start)
        for second in stride(from: 5, through: 300, by: 5) {
            progress.committed(at: start.addingTimeInterval(TimeInterval(second)))
            progress.received(at: start.addingTimeInterval(TimeInterval(second)))
            #expect(progress.stalledSeconds(at: start.addingTimeInterval(TimeInterval(second + 4))) == 4)
        }
    }

    @Test func moreEventsDoNotRestartTheClockOfAStall() {
        var progress = ArchiverProgress()
        progress.received(at: start)
        progress.received(at: start.addingTimeInterval(TimeInterval(30)))
        #expect(progress.stalledSeconds(at: start.addingTimeInterval(TimeInterval(40))) == 40)
    }
}
