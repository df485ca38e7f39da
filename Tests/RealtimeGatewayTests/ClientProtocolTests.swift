import BrokerCore
import BrokerWire
import Collector
import Realtime
@testable import RealtimeGateway
import Testing

@Suite("Client protocols")
struct ClientProtocolTests {
    let kis = KISClientProtocol()
    let valid: (String) -> Bool = { $0 == "hub-approval" }

    func subscribe(_ trID: String, _ key: String, type: String = "1", approval: String = "hub-approval") -> String {
        #"{"header":{"approval_key":"\#(approval)","custtype":"P","tr_type":"\#(type)","content-type":"utf-8"},"body":{"input":{"tr_id":"\#(trID)","tr_key":"\#(key)"}}}"#
    }

    func code(_ request: KISClientProtocol.Request) -> String? {
        guard case .refused(let reply, let code) = request else { return nil }
        let json = try? JSONParser.parse(reply)
        #expect(json?["body"]?["msg_cd"]?.stringValue == code)
        #expect(json?["body"]?["rt_cd"]?.stringValue != "0")
        return code
    }

    @Test func kisRequestsAreReadAsKISWritesThem() {
        #expect(kis.read(subscribe("H0STCNT0", "005930"), approvalIsValid: valid) == .subscribe(SubscriptionKey(.ticker, "005930"), trID: "H0STCNT0"))
        #expect(kis.read(subscribe("H0STASP0", "000660", type: "2"), approvalIsValid: valid) == .unsubscribe(SubscriptionKey(.orderbook, "000660"), trID: "H0STASP0"))
        #expect(kis.read(#"{"header":{"tr_id":"PINGPONG","datetime":"20261207090000"}}"#, approvalIsValid: valid) == .heartbeat)
    }

    @Test func badKISInputGetsKISsOwnAnswers() {
        #expect(code(kis.read("{not json", approvalIsValid: valid)) == "OPSP9999")
        #expect(code(kis.read("[1,2]", approvalIsValid: valid)) == "OPSP9999")
        #expect(code(kis.read(subscribe("H0STCNT0", "005930", approval: "the-real-key"), approvalIsValid: valid)) == "OPSP0011")
        #expect(code(kis.read(subscribe("H0XXXXX0", "005930"), approvalIsValid: valid)) == "OPSP8991")
        #expect(code(kis.read(subscribe("H0STCNI0", "myhtsid"), approvalIsValid: valid)) == "OPSP8991")
        #expect(code(kis.read(subscribe("H0STCNT0", "00593"), approvalIsValid: valid)) == "OPSP8992")
        #expect(code(kis.read(subscribe("H0STCNT0", "0059 30"), approvalIsValid: valid)) == "OPSP8992")
        #expect(code(kis.read(subscribe("H0STCNT0", "005930", type: "3"), approvalIsValid: valid)) == "OPSP0007")
    }

    @Test func kisAnswersAreTheBrokersAcks() throws {
        let key = SubscriptionKey(.ticker, "005930")
        let ok = try JSONParser.parse(kis.subscribeAnswer(key, trID: "H0STCNT0", .subscribed, client: GatewayClientID(7)))
        #expect(ok["header"]?["tr_id"]?.stringValue == "H0STCNT0" && ok["header"]?["tr_key"]?.stringValue == "005930")
        #expect(ok["body"]?["rt_cd"]?.stringValue == "0" && ok["body"]?["msg_cd"]?.stringValue == "OPSP0000")
        #expect(ok["body"]?["output"]?["key"]?.stringValue?.count == 32 && ok["body"]?["output"]?["iv"]?.stringValue?.count == 16)
        let codes = [
            kis.subscribeAnswer(key, trID: "H0STCNT0", .already, client: GatewayClientID(7)),
            kis.subscribeAnswer(key, trID: "H0STCNT0", .full, client: GatewayClientID(7)),
            kis.unsubscribeAnswer(key, trID: "H0STCNT0", held: true),
            kis.unsubscribeAnswer(key, trID: "H0STCNT0", held: false),
        ].map { try? JSONParser.parse($0)["body"]?["msg_cd"]?.stringValue }
        #expect(codes == ["OPSP0002", "OPSP0008", "OPSP0001", "OPSP0003"])
    }

    @Test func kiwoomRequestsAreReadAsKiwoomWritesThem() {
        let kiwoom = KiwoomClientProtocol()
        #expect(kiwoom.read(#"{"trnm":"LOGIN","token":"bh_abc"}"#, loggedIn: false) == .login(token: "bh_abc"))
        #expect(kiwoom.read(#"{"trnm":"PING"}"#, loggedIn: true) == .heartbeat)
        #expect(
            kiwoom.read(#"{"trnm":"REG","grp_no":"2","refresh":"0","data":[{"item":["005930","000660"],"type":["0B","0D"]}]}"#, loggedIn: true)
                == .register(group: "2", keepExisting: false, keys: [
                    SubscriptionKey(.ticker, "005930"), SubscriptionKey(.ticker, "000660"),
                    SubscriptionKey(.orderbook, "005930"), SubscriptionKey(.orderbook, "000660"),
                ])
        )
        #expect(kiwoom.read(#"{"trnm":"REMOVE","grp_no":"1","data":[{"item":["005930"],"type":["0B"]}]}"#, loggedIn: true) == .remove(group: "1", keys: [SubscriptionKey(.ticker, "005930")]))
    }

    @Test func badKiwoomInputGetsKiwoomsOwnAnswers() {
        let kiwoom = KiwoomClientProtocol(itemsPerGroup: 2)
        func code(_ text: String, loggedIn: Bool = true) -> String? {
            guard case .refused(let reply, let code, _) = kiwoom.read(text, loggedIn: loggedIn) else { return nil }
            #expect((try? JSONParser.parse(reply))?["return_code"]?.intValue != 0)
            return code
        }
        #expect(code("{") == "1513")
        #expect(code(#"{"trnm":"REG","data":[{"item":["005930"],"type":["0B"]}]}"#, loggedIn: false) == "8005")
        #expect(code(#"{"trnm":"REG","grp_no":"1"}"#) == "1511")
        #expect(code(#"{"trnm":"REG","data":[{"item":["005930"],"type":["0Z"]}]}"#) == "1512")
        #expect(code(#"{"trnm":"REG","data":[{"item":["005930","000660","035420"],"type":["0B"]}]}"#) == "1513")
        #expect(code(#"{"trnm":"REG","data":[{"item":["x"],"type":["0B"]}]}"#) == "1902")
        #expect(code(#"{"trnm":"HELLO"}"#) == "1504")
        guard case .refused(_, _, let close) = kiwoom.read(#"{"trnm":"LOGIN"}"#, loggedIn: false) else { Issue.record("LOGIN without a token"); return }
        #expect(close)
    }
}
