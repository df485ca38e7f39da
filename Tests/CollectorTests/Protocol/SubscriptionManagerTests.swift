@testable import Collector
import Foundation
import Realtime
import Testing

@Suite("Collector: subscription manager", .timeLimit(.minutes(5)))
struct SubscriptionManagerTests {
    let start = Date(timeIntervalSince1970: 1_763_700_000)

    static func symbols(_ count: Int) -> [String] { (0..<count).map { String(format: "%06d", $0) } }

    @Test func requestsUpToCapacityAndConfirms() {
        var manager = SubscriptionManager(capacity: 2)
        manager.want(Self.symbols(3).map { SubscriptionKey(.ticker, $0) })
        let first = manager.nextRequests(now: start)
        #expect(first.map(\.key.symbol) == ["000000", "000001"])
        #expect(manager.nextRequests(now: start).isEmpty)
        manager.resolve(first[0].key, .confirmed)
        manager.resolve(first[1].key, .confirmed)
        #expect(manager.pending.isEmpty)
        #expect(manager.confirmed.count == 2)
        #expect(manager.uncovered == [SubscriptionKey(.ticker, "000002")])
    }

    @Test func capReachedStopsAddingUntilRestart() {
        var manager = SubscriptionManager(capacity: 41)
        manager.want(Self.symbols(3).map { SubscriptionKey(.ticker, $0) })
        let requests = manager.nextRequests(now: start)
        manager.resolve(requests[0].key, .confirmed)
        manager.resolve(requests[1].key, .capReached)
        manager.resolve(requests[2].key, .capReached)
        #expect(manager.capReached)
        #expect(manager.nextRequests(now: start).isEmpty)
        #expect(manager.uncovered.count == 2)
        #expect(manager.disconnected() == 1)
        #expect(manager.nextRequests(now: start).count == 3)
    }

    @Test func timeoutAndDisconnectRemovePendingState() {
        var manager = SubscriptionManager(capacity: 41, ackTimeout: .seconds(5))
        manager.want([SubscriptionKey(.ticker, "005930"), SubscriptionKey(.orderbook, "005930")])
        _ = manager.nextRequests(now: start)
        #expect(manager.expire(now: start.addingTimeInterval(4)).isEmpty)
        #expect(manager.expire(now: start.addingTimeInterval(5)).count == 2)
        #expect(manager.pending.isEmpty)
        // Retried later; a disconnect clears pending too.
        #expect(manager.nextRequests(now: start.addingTimeInterval(6)).count == 2)
        manager.disconnected()
        #expect(manager.pending.isEmpty && manager.confirmed.isEmpty)
    }

    /// 1,000 symbols subscribed and unsubscribed over and over, answered by acks, refusals, timeouts and
    /// disconnects: nothing stays pending and nothing grows.
    @Test func churnLeavesNoPendingEntries() {
        var manager = SubscriptionManager(capacity: 2_000, ackTimeout: .seconds(2))
        let keys = Self.symbols(1_000).map { SubscriptionKey(.ticker, $0) }
        var now = start
        var generator = SystemRandomNumberGenerator()
        for round in 0..<20 {
            manager.want(keys)
            for request in manager.nextRequests(now: now) {
                switch UInt8.random(in: 0..<10, using: &generator) {
                case 0: continue // lost ack: times out
                case 1: manager.resolve(request.key, .refused("OPSP8992"))
                default: manager.resolve(request.key, .confirmed)
                }
            }
            now = now.addingTimeInterval(3)
            _ = manager.expire(now: now)
            manager.drop(keys)
            for request in manager.nextRequests(now: now) where Bool.random(using: &generator) {
                manager.resolve(request.key, .removed)
            }
            if round % 5 == 4 { manager.disconnected() }
            now = now.addingTimeInterval(3)
            _ = manager.expire(now: now)
        }
        // Final drain: every outstanding unsubscribe answered.
        for request in manager.nextRequests(now: now) { manager.resolve(request.key, .removed) }
        #expect(manager.pending.isEmpty)
        #expect(manager.confirmed.isEmpty)
        #expect(manager.desired.isEmpty)
        #expect(manager.refused.count <= keys.count)
    }
}
