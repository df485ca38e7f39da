import BrokerClients
@testable import Collector
import Realtime
import Testing

@Suite("Collector: session plan", .timeLimit(.minutes(5)))
struct SessionPlanTests {
    static func accounts(_ count: Int) -> [BrokerAccount] {
        (0..<count).map { BrokerAccount(provider: .kis, appKey: "key\($0)", secret: "s", baseURL: "http://127.0.0.1") }
    }

    static func keys(_ count: Int, _ channels: [RealtimeChannel]) -> [SubscriptionKey] {
        (0..<count).flatMap { index in channels.map { SubscriptionKey($0, String(format: "%06d", index)) } }
    }

    @Test func moreSymbolsThanOneSessionUseMoreAccounts() {
        let plan = SessionPlan.make(accounts: Self.accounts(3), keys: Self.keys(100, [.ticker]), capacity: 41, split: false)
        #expect(plan.assignments.map(\.keys.count) == [41, 41, 18])
        #expect(plan.uncovered.isEmpty)
    }

    @Test func notEnoughAccountsLeavesKeysUncovered() {
        let plan = SessionPlan.make(accounts: Self.accounts(1), keys: Self.keys(50, [.ticker]), capacity: 41, split: false)
        #expect(plan.assignments.count == 1)
        #expect(plan.uncovered.count == 9)
    }

    @Test func splitPutsTicksAndBooksOnSeparateSessions() {
        let plan = SessionPlan.make(accounts: Self.accounts(2), keys: Self.keys(10, [.ticker, .orderbook]), capacity: 41, split: true)
        #expect(plan.assignments.map(\.role) == ["ticker", "orderbook"])
        #expect(plan.assignments[0].keys.allSatisfy { $0.channel == .ticker })
        #expect(plan.assignments[1].keys.allSatisfy { $0.channel == .orderbook })
        let mixed = SessionPlan.make(accounts: Self.accounts(2), keys: Self.keys(10, [.ticker, .orderbook]), capacity: 41, split: false)
        #expect(mixed.assignments.count == 1)
    }
}
