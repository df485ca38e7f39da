import Foundation
import HubEngine
import Testing

/// The gateway's five-minute send history (the dashboard's budget chart): counts per second in a ring,
/// read back in buckets, old seconds forgotten.
@Suite("Send history")
struct SendHistoryTests {
    let start = Date(timeIntervalSince1970: 1_757_289_600)

    @Test func sendsLandInTheirBucketsOldestFirst() {
        var history = SendHistory(capacity: 300)
        for offset in [0.1, 0.2, 1.5, 7.0, 7.9] { history.record(at: start.addingTimeInterval(offset)) }
        let buckets = history.buckets(now: start.addingTimeInterval(10), span: 10, bucket: 5)
        #expect(buckets == [3, 2])
        #expect(history.buckets(now: start.addingTimeInterval(10), span: 300, bucket: 5).count == 60)
        #expect(history.buckets(now: start.addingTimeInterval(10), span: 300, bucket: 5).reduce(0, +) == 5)
    }

    @Test func secondsOlderThanTheCapacityAreForgotten() {
        var history = SendHistory(capacity: 10)
        history.record(at: start)
        history.record(at: start.addingTimeInterval(4))
        history.record(at: start.addingTimeInterval(12))
        #expect(history.buckets(now: start.addingTimeInterval(13), span: 10, bucket: 1).reduce(0, +) == 2, "the send at 0 is out of the ring")
        history.record(at: start.addingTimeInterval(1))  // older than the ring: ignored
        #expect(history.buckets(now: start.addingTimeInterval(13), span: 10, bucket: 1).reduce(0, +) == 2)
        history.record(at: start.addingTimeInterval(100))
        #expect(history.buckets(now: start.addingTimeInterval(101), span: 10, bucket: 1) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    }
}
