@testable import Collector
import BrokerCore
import Foundation
import Realtime
import Testing

@Suite("Collector: Kiwoom session machine", .timeLimit(.minutes(5)))
struct KiwoomSessionMachineTests {
    let now = Date(timeIntervalSince1970: 1_763_700_000)
    static let tick = #"{"trnm":"REAL","data":[{"type":"0B","name":"주식체결","item":"005930","values":{"20":"103101","10":"-97500","11":"-200","12":"-0.20","27":"-97600","28":"-97500","15":"-1203","13":"9656085","14":"947116","16":"+98000","17":"+98600","18":"-97300"}}]}"#

    /// Issue #12 item 6: LOGIN refused for the token (8005) asks for a new token; another refusal does not.
    @Test func aRefusedTokenAsksForANewOne() {
        var machine = KiwoomSessionMachine()
        _ = machine.connected(credential: "OLD", now: now)
        let expired = machine.receive(#"{"trnm":"LOGIN","return_code":1,"return_msg":"토큰 인증에 실패했습니다. 접속을 종료합니다 [CODE=8005, MESSAGE=Token이 유효하지 않습니다]"}"#, at: now)
        #expect(expired.contains { if case .credentialRefused = $0 { true } else { false } }, "\(expired)")
        #expect(expired.contains { if case .alert(kind: "session.login_failed", _, _) = $0 { true } else { false } })
        _ = machine.connected(credential: "OTHER", now: now)
        let mismatch = machine.receive(#"{"trnm":"LOGIN","return_code":2,"return_msg":"입력 값 오류입니다[8030:투자구분(실전/모의)이 달라서 Appkey를 사용할수가 없습니다]"}"#, at: now)
        #expect(!mismatch.contains { if case .credentialRefused = $0 { true } else { false } }, "a wrong key is not cured by a new token: \(mismatch)")
    }

    @Test func loginThenRegisterThenData() throws {
        var manager = SubscriptionManager()
        manager.want([SubscriptionKey(.ticker, "005930"), SubscriptionKey(.orderbook, "000660")])
        var machine = KiwoomSessionMachine(subscriptions: manager)
        #expect(machine.connected(credential: "TOKEN", now: now) == [.send(#"{"trnm":"LOGIN","token":"TOKEN"}"#)])
        let registrations = machine.receive(#"{"trnm":"LOGIN","return_code":0,"return_msg":"","sor_yn":"Y"}"#, at: now)
        #expect(registrations == [
            .send(#"{"trnm":"REG","grp_no":"1","refresh":"1","data":[{"item":["005930"],"type":["0B"]}]}"#),
            .send(#"{"trnm":"REG","grp_no":"1","refresh":"1","data":[{"item":["000660"],"type":["0D"]}]}"#),
        ])
        _ = machine.receive(#"{"trnm":"REG","return_code":0,"return_msg":""}"#, at: now)
        _ = machine.receive(#"{"return_code":0,"trnm":"REG","return_msg":""}"#, at: now)
        #expect(machine.subscriptions.confirmed.count == 2 && machine.subscriptions.pending.isEmpty)
        #expect(machine.receive(#"{"trnm":"PING"}"#, at: now) == [.send(#"{"trnm":"PING"}"#)])
        let data = machine.receive(Self.tick, at: now)
        guard case .records(let records) = try #require(data.first), case .tick(let tick) = records.first else { Issue.record("no tick"); return }
        #expect(tick.symbol == "005930" && tick.price == 97500 && tick.side == .sell)
    }

    @Test func replacedSessionStopsWithAnAlert() {
        var machine = KiwoomSessionMachine()
        _ = machine.connected(credential: "T", now: now)
        let outputs = machine.receive(#"{"trnm":"SYSTEM","code":"R10001","message":"동일한 App key로 접속이 되었습니다. 기존 세션은 종료가 됩니다"}"#, at: now)
        #expect(outputs.contains { if case .alert("session.replaced", _, _) = $0 { true } else { false } })
        #expect(outputs.contains { if case .stop = $0 { true } else { false } })
    }

    @Test func refusedRegistrationIsAlertedAndNotPending() {
        var manager = SubscriptionManager()
        manager.want([SubscriptionKey(.ticker, "999999")])
        var machine = KiwoomSessionMachine(subscriptions: manager)
        _ = machine.connected(credential: "T", now: now)
        _ = machine.receive(#"{"trnm":"LOGIN","return_code":0,"return_msg":""}"#, at: now)
        let outputs = machine.receive(#"{"trnm":"REG","return_code":2,"return_msg":"입력 값 오류입니다[1902:종목 정보가 없습니다. 종목코드=999999]"}"#, at: now)
        #expect(outputs.contains { if case .alert("subscription.refused", _, "999999") = $0 { true } else { false } })
        #expect(machine.subscriptions.pending.isEmpty && machine.subscriptions.refused.count == 1)
    }
}
