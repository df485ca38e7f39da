import BrokerClients
import BrokerCore
import BrokerHubTesting
import Foundation
@testable import HubEngine
import Testing

@Suite("Learned budgets: lower on refusal, creep back up", .timeLimit(.minutes(1)))
struct LearnedBudgetTests {
    let start = Date(timeIntervalSince1970: 1_790_000_000)
    let policy = LearnedBudget.Policy()

    @Test("a refusal lowers the limit by 10 % rounded up, at least one: 18 → 17 → 16 → 15; refusals in the cooldown do not count")
    func multiplicativeDecrease() {
        var budget = LearnedBudget(configured: 18)
        #expect(budget.refused(at: start, policy: policy) == .lowered(from: 18, to: 17))
        #expect(budget.refused(at: start.addingTimeInterval(1), policy: policy) == nil, "in flight at the old limit")
        #expect(budget.limit == 17)
        #expect(budget.refused(at: start.addingTimeInterval(2.5), policy: policy) == .lowered(from: 17, to: 16))
        #expect(budget.refused(at: start.addingTimeInterval(5), policy: policy) == .lowered(from: 16, to: 15))
        var big = LearnedBudget(configured: 100)
        #expect(big.refused(at: start, policy: policy) == .lowered(from: 100, to: 90))
        var one = LearnedBudget(configured: 1)
        #expect(one.refused(at: start, policy: policy) == nil, "never below 1")
        #expect(one.state == .configured)
    }

    @Test("a limit the broker names (Kiwoom 유량=N) is taken at once when lower")
    func observedLimit() {
        var budget = LearnedBudget(configured: 5)
        #expect(budget.refused(at: start, observed: 2, policy: policy) == .lowered(from: 5, to: 2))
        #expect(BudgetLearnerProbe.observed("허용된 요청 개수를 초과하였습니다[1700:허용된 API 요청 개수를 초과하였습니다. 유량=1, API ID=ka10001]") == 1)
        #expect(BudgetLearnerProbe.observed("[1701:총유량=5 초과]") == 5)
        #expect(BudgetLearnerProbe.observed("초당 거래건수를 초과하였습니다.") == nil)
    }

    @Test("after a clean period the limit rises by one, but stays below the refused limit while it is remembered, then returns to the configured one")
    func additiveIncrease() {
        var budget = LearnedBudget(configured: 18)
        _ = budget.refused(at: start, policy: policy)                                 // 18 → 17, refused at 18
        _ = budget.refused(at: start.addingTimeInterval(3), policy: policy)           // 17 → 16, refused at 17
        _ = budget.refused(at: start.addingTimeInterval(6), policy: policy)           // 16 → 15, refused at 16
        #expect(budget.advance(to: start.addingTimeInterval(60), policy: policy) == nil, "not a clean period yet")
        #expect(budget.advance(to: start.addingTimeInterval(67), policy: policy) == nil, "15 is one below the refused 16")
        #expect(budget.limit == 15)
        // Once the refusal is forgotten (30 min), it probes upwards, a step per clean period, up to the configured limit.
        let later = start.addingTimeInterval(1_807)
        #expect(budget.advance(to: later, policy: policy) == .raised(from: 15, to: 16))
        #expect(budget.advance(to: later.addingTimeInterval(30), policy: policy) == nil)
        #expect(budget.advance(to: later.addingTimeInterval(60), policy: policy) == .raised(from: 16, to: 17))
        #expect(budget.advance(to: later.addingTimeInterval(120), policy: policy) == .restored(to: 18))
        #expect(budget.state == .configured)
        #expect(budget.advance(to: later.addingTimeInterval(500), policy: policy) == nil)
    }

    @Test("learning switched off: refusals change nothing and a learned limit is dropped")
    func disabled() {
        var off = policy
        off.enabled = false
        var budget = LearnedBudget(configured: 18)
        #expect(budget.refused(at: start, policy: off) == nil)
        _ = budget.refused(at: start, policy: policy)
        #expect(budget.advance(to: start.addingTimeInterval(1), policy: off) == .restored(to: 18))
    }

    @Test("the budgets a refusal concerns: KIS EGW00201 the key's; Kiwoom 1700 or a bare 429 the api-id's, 1701/1702 the key's")
    func concernedBudgets() throws {
        let kis = BrokerAccount(provider: .kis, appKey: "PSkey", secret: "s", account: "1", kind: .real, baseURL: "http://127.0.0.1:1")
        let kiwoom = BrokerAccount(provider: .kiwoom, appKey: "KWkey", secret: "s", account: "1", kind: .real, baseURL: "http://127.0.0.1:1")
        var limits = RateLimitPolicy()
        limits.kisPerMinute = 600
        let kisBudgets = limits.budgets(for: kis, transaction: "FHKST01010100")
        let kiwoomBudgets = limits.budgets(for: kiwoom, transaction: "ka10001")
        func failure(_ provider: Provider, _ code: String?) -> BrokerFailure {
            BrokerFailure(provider: provider, category: .rateLimited, httpStatus: 429, code: code, message: "")
        }
        #expect(BudgetLearnerProbe.concerned(kisBudgets, failure(.kis, "EGW00201")).map(\.scope) == [.key])
        #expect(BudgetLearnerProbe.concerned(kisBudgets, failure(.kis, "EGW00215")).isEmpty, "ledger-wide, not the key's budget")
        #expect(BudgetLearnerProbe.concerned(kiwoomBudgets, failure(.kiwoom, "1700")).map(\.scope) == [.transaction])
        #expect(BudgetLearnerProbe.concerned(kiwoomBudgets, failure(.kiwoom, nil)).map(\.scope) == [.transaction])
        #expect(BudgetLearnerProbe.concerned(kiwoomBudgets, failure(.kiwoom, "1701")).map(\.scope) == [.key])
        // Budget ids never carry the app key.
        #expect((kisBudgets + kiwoomBudgets).allSatisfy { !$0.id.contains("PSkey") && !$0.id.contains("KWkey") })
        #expect(kisBudgets[0].id.hasPrefix("kis:") && kisBudgets[0].id.hasSuffix(":s"))
    }

    @Test("the learner lowers what the gateway sends at and raises it again on its clock")
    func learnerOnAManualClock() async throws {
        let clock = ManualClock(start: start)
        var fast = LearnedBudget.Policy()
        fast.cleanPeriod = .seconds(10)
        fast.ceilingMemory = .seconds(0)
        let learner = BudgetLearner(store: InMemoryLearnedBudgetStore(), policy: fast, clock: clock)
        let budget = RateBudget(name: "kis:PSkey:s", limit: 18, window: .seconds(1), scope: .key, id: "kis:digest:s")
        let refusal = BrokerFailure(provider: .kis, category: .rateLimited, httpStatus: 500, code: "EGW00201", message: "초당 거래건수를 초과하였습니다.")
        await learner.refused([budget], failure: refusal)
        #expect(learner.effective([budget]).map(\.limit) == [17])
        #expect(learner.snapshot()["kis:digest:s"]?.limit == 17)
        clock.advance(by: .seconds(11))
        await learner.refresh()
        #expect(learner.effective([budget]).map(\.limit) == [18])
        #expect(learner.snapshot().isEmpty, "back at the configured limit: nothing learned")
    }
}

/// The learner's internal rules, reachable from tests.
enum BudgetLearnerProbe {
    static func observed(_ message: String) -> Int? { BudgetLearner.observedLimit(in: message) }
    static func concerned(_ budgets: [RateBudget], _ failure: BrokerFailure) -> [RateBudget] { BudgetLearner.concerned(budgets, by: failure) }
}
