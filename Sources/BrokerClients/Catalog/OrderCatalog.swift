import BrokerCore

/// The order transactions the proxy may send when orders are switched on (`BROKERHUB_PROXY_ORDERS`): kept
/// apart from `TransactionCatalog.all`, so that nothing else — `/v1/execute`, jobs, retries, the cache — can
/// ever send one. KIS 현금주문 (`order-cash`): buy/sell for real accounts (`TTTC0802U`/`TTTC0801U`, and the
/// newer `TTTC0012U`/`TTTC0011U`) and paper ones (`V…`, as KIS's own helper rewrites them).
public enum OrderCatalog {
    static let path = "/uapi/domestic-stock/v1/trading/order-cash"
    /// Body fields an order must carry.
    public static let requiredFields = ["CANO", "ACNT_PRDT_CD", "PDNO", "ORD_DVSN", "ORD_QTY", "ORD_UNPR"]

    public static let all: [TransactionSpec] = ["TTTC0802U", "TTTC0801U", "TTTC0012U", "TTTC0011U", "VTTC0802U", "VTTC0801U", "VTTC0012U", "VTTC0011U"].map { id in
        TransactionSpec(
            provider: .kis, id: id, method: "POST", path: path,
            parameters: requiredFields.map { ParameterSpec($0, .text, required: true) },
            summary: "주식주문(현금) \(id.hasSuffix("2U") ? "buy" : "sell")\(id.hasPrefix("V") ? " (paper)" : ""): sent at most once"
        )
    }

    /// The order spec of a transaction id (case-insensitive), if it is one.
    public static func spec(provider: Provider, id: String) -> TransactionSpec? {
        all.first { $0.provider == provider && $0.id == id.uppercased() }
    }
}
