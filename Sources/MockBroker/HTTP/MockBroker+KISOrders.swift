import BrokerCore
import BrokerWire
import Foundation

extension MockBroker {
    static let kisOrderPath = "/uapi/domestic-stock/v1/trading/order-cash"
    static let kisOrderTransactions: Set<String> = ["TTTC0802U", "TTTC0801U", "TTTC0012U", "TTTC0011U", "VTTC0802U", "VTTC0801U", "VTTC0012U", "VTTC0011U"]

    /// `POST …/trading/order-cash` (주식주문(현금)): checks the TR (real `T…` for real keys, paper `V…` for
    /// paper ones), the token and the body, and answers an order number. Nothing is executed: the mock only
    /// counts what arrived (`orders_received`) so that tests can prove an order was sent at most once.
    func kisOrder(_ request: MockRequest) -> MockResponse {
        let trID = request.header("tr_id")?.uppercased() ?? ""
        stats.request(.kis, trID.isEmpty ? "order" : trID)
        guard Self.kisOrderTransactions.contains(trID) else {
            return kisError(500, code: "OPSQ0002", message: "없는 서비스 코드 입니다.")
        }
        let (key, failure) = kisAuthorize(request, transaction: trID)
        if let failure { return failure }
        guard (key.kind == .paper) == trID.hasPrefix("V") else {
            return kisError(500, code: "EGW02004", message: "실전투자 도메인은 모의투자 앱키로 호출하실 수 없습니다.")
        }
        guard let body = jsonBody(request) else {
            return kisError(200, code: "OPSQ2000", message: "ERROR : INPUT_FIELD_SIZE", returnCode: "2")
        }
        for field in ["CANO", "ACNT_PRDT_CD", "PDNO", "ORD_DVSN", "ORD_QTY", "ORD_UNPR"] where (body[field]?.stringValue ?? "").isEmpty {
            return kisError(200, code: "OPSQ2001", message: "ERROR INVALID \(field)", returnCode: "2")
        }
        guard symbol(body["PDNO"]?.stringValue ?? "") != nil else {
            return kisError(200, code: "APBK0656", message: "해당종목정보가 없습니다.", returnCode: "7")
        }
        let number = stats.snapshot(.kis).ordersReceived
        var output = JSONWriter.Object()
        output.add("KRX_FWDG_ORD_ORGNO", "91252")
        output.add("ODNO", String(format: "%010d", number))
        output.add("ORD_TMD", Self.hhmmss(KST.secondOfDay(Date())))
        var object = JSONWriter.Object()
        object.add("rt_cd", "0")
        object.add("msg_cd", "APBK0013")
        object.add("msg1", "주문 전송 완료 되었습니다.")
        object.add("output", raw: output.json)
        return .json(200, object.json, headers: [("tr_id", trID), ("tr_cont", "D")])
    }
}
