import BrokerCore
import BrokerHubTesting
import Foundation
import HubServer
import Testing

/// Issue #18 item 10: the proxy's hub-local tokens are bounded and expire without a scan.
@Suite("LocalTokens")
struct LocalTokensTests {
    @Test func atCapacityTheOldestTokenIsDropped() {
        let tokens = LocalTokens(clock: ManualClock(), capacity: 100)
        let issued = (0..<250).map { _ in tokens.issue().value }
        #expect(tokens.count == 100)
        #expect(!tokens.isValid(issued[0]) && !tokens.isValid(issued[149]))
        #expect(issued[150...].allSatisfy(tokens.isValid))
    }

    @Test func expiredTokensAreDroppedAsNewOnesAreIssued() {
        let clock = ManualClock()
        let tokens = LocalTokens(clock: clock, lifetime: 60, capacity: 1_000)
        let early = (0..<500).map { _ in tokens.issue().value }
        clock.advance(by: .seconds(30))
        let later = (0..<10).map { _ in tokens.issue().value }
        #expect(tokens.count == 510)
        clock.advance(by: .seconds(31))
        #expect(!early.contains(where: tokens.isValid), "past their lifetime")
        let fresh = tokens.issue().value
        #expect(tokens.count == 11, "the expired 500 went when the next token was issued")
        #expect(later.allSatisfy(tokens.isValid) && tokens.isValid(fresh))
    }

    @Test func revokedTokensDoNotPileUp() {
        let tokens = LocalTokens(clock: ManualClock(), capacity: 10)
        for _ in 0..<1_000 { tokens.revoke(tokens.issue().value) }
        #expect(tokens.count == 0)
        let kept = tokens.issue().value
        #expect(tokens.isValid(kept))
    }
}
