import BrokerCore
import BrokerWire

/// The transactions BrokerHub supports, validated before anything is sent.
public enum TransactionCatalog {
    static let market = ParameterSpec("FID_COND_MRKT_DIV_CODE", .oneOf(["J", "NX", "UN"]), default: "J")
    static let symbol = ParameterSpec("FID_INPUT_ISCD", .symbol, required: true)
    static let quotations = "/uapi/domestic-stock/v1/quotations/"

    public static let all: [TransactionSpec] = [
        TransactionSpec(provider: .kis, id: "FHKST01010100", method: "GET", path: quotations + "inquire-price", parameters: [market, symbol], summary: "주식현재가 시세: one quote"),
        TransactionSpec(provider: .kis, id: "FHKST01010400", method: "GET", path: quotations + "inquire-daily-price", parameters: [
            market, symbol,
            ParameterSpec("FID_PERIOD_DIV_CODE", .oneOf(["D", "W", "M"]), default: "D"),
            ParameterSpec("FID_ORG_ADJ_PRC", .oneOf(["0", "1"]), default: "1"),
        ], summary: "주식현재가 일자별: last 30 days/weeks/months"),
        TransactionSpec(provider: .kis, id: "FHKST03010100", method: "GET", path: quotations + "inquire-daily-itemchartprice", parameters: [
            market, symbol,
            ParameterSpec("FID_INPUT_DATE_1", .date, required: true),
            ParameterSpec("FID_INPUT_DATE_2", .date, required: true),
            ParameterSpec("FID_PERIOD_DIV_CODE", .oneOf(["D", "W", "M", "Y"]), default: "D"),
            ParameterSpec("FID_ORG_ADJ_PRC", .oneOf(["0", "1"]), default: "0"),
        ], historical: true, summary: "국내주식기간별시세: candles over a date range (100 rows a call)"),
        TransactionSpec(provider: .kis, id: "FHKST03010200", method: "GET", path: quotations + "inquire-time-itemchartprice", parameters: [
            market, symbol,
            ParameterSpec("FID_ETC_CLS_CODE", .text, default: ""),
            ParameterSpec("FID_INPUT_HOUR_1", .time, required: true),
            ParameterSpec("FID_PW_DATA_INCU_YN", .oneOf(["Y", "N"]), default: "Y"),
        ], summary: "주식당일분봉조회: today's minute candles (30 rows; max_pages walks back through the day)"),
        TransactionSpec(provider: .kis, id: "FHKST03010230", method: "GET", path: quotations + "inquire-time-dailychartprice", parameters: [
            market, symbol,
            ParameterSpec("FID_INPUT_DATE_1", .date, required: true),
            ParameterSpec("FID_INPUT_HOUR_1", .optionalTime, default: ""),
            ParameterSpec("FID_PW_DATA_INCU_YN", .oneOf(["Y", "N"]), default: "Y"),
            ParameterSpec("FID_FAKE_TICK_INCU_YN", .text, default: ""),
        ], historical: true, summary: "주식일별분봉조회: minute candles of a past day (120 rows at or before FID_INPUT_HOUR_1, empty = the day's last; max_pages walks back; real accounts only)"),
        TransactionSpec(provider: .kis, id: "FHKST01010300", method: "GET", path: quotations + "inquire-ccnl", parameters: [market, symbol], summary: "주식현재가 체결: last 30 trades"),
        TransactionSpec(
            provider: .kis, id: "FHKST11300006", method: "GET", path: quotations + "intstock-multprice",
            parameters: (1...30).flatMap { index in
                [ParameterSpec("FID_COND_MRKT_DIV_CODE_\(index)", .oneOf(["J", "NX", "UN"])), ParameterSpec("FID_INPUT_ISCD_\(index)", .symbol, required: index == 1)]
            },
            summary: "관심종목(멀티종목) 시세조회: up to 30 quotes (real accounts only); or pass symbols=A,B,…"
        ),
        TransactionSpec(provider: .kis, id: "CTPF1604R", method: "GET", path: quotations + "search-info", parameters: [
            ParameterSpec("PDNO", .symbol, required: true), ParameterSpec("PRDT_TYPE_CD", .oneOf(["300", "301", "302"]), default: "300"),
        ], summary: "상품기본조회: symbol information"),
        TransactionSpec(provider: .kiwoom, id: "ka10001", method: "POST", path: "/api/dostk/stkinfo", parameters: [
            ParameterSpec("stk_cd", .symbol, required: true),
        ], summary: "주식기본정보요청: one quote"),
        TransactionSpec(provider: .kiwoom, id: "ka10079", method: "POST", path: "/api/dostk/chart", parameters: [
            ParameterSpec("stk_cd", .symbol, required: true),
            ParameterSpec("tic_scope", .oneOf(["1", "3", "5", "10", "30"]), default: "1"),
            ParameterSpec("upd_stkpc_tp", .oneOf(["0", "1"]), default: "1"),
        ], summary: "주식틱차트조회요청: N-tick candles"),
        TransactionSpec(provider: .kiwoom, id: "ka10080", method: "POST", path: "/api/dostk/chart", parameters: [
            ParameterSpec("stk_cd", .symbol, required: true),
            ParameterSpec("tic_scope", .oneOf(["1", "3", "5", "10", "15", "30", "45", "60"]), default: "1"),
            ParameterSpec("upd_stkpc_tp", .oneOf(["0", "1"]), default: "1"),
            ParameterSpec("base_dt", .date),
        ], summary: "주식분봉차트조회요청: N-minute candles"),
        TransactionSpec(provider: .kiwoom, id: "ka10081", method: "POST", path: "/api/dostk/chart", parameters: [
            ParameterSpec("stk_cd", .symbol, required: true),
            ParameterSpec("base_dt", .date, required: true),
            ParameterSpec("upd_stkpc_tp", .oneOf(["0", "1"]), default: "1"),
        ], historical: true, summary: "주식일봉차트조회요청: daily candles (600 a page)"),
    ]

    /// The spec of a transaction (TR ids case-insensitively).
    public static func spec(provider: Provider, id: String) -> TransactionSpec? {
        all.first { $0.provider == provider && $0.id.lowercased() == id.lowercased() }
    }

    /// Validates `parameters` (names case-insensitive) and builds the request; throws `.unsupportedTransaction`
    /// or `.invalidArgument` with the reason, before anything is sent.
    public static func request(provider: Provider, transaction: String, parameters: [String: String]) throws -> BrokerRequest {
        guard let spec = spec(provider: provider, id: transaction) else {
            let known = all.filter { $0.provider == provider }.map(\.id).joined(separator: ", ")
            throw BrokerHubError(.unsupportedTransaction, "\(provider.rawValue) transaction \(transaction) is not supported; supported: \(known)")
        }
        var given: [String: String] = [:]
        for (name, value) in parameters { given[name.lowercased()] = value }
        if spec.id == "FHKST11300006", let symbols = given.removeValue(forKey: "symbols") {
            let codes = symbols.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard (1...30).contains(codes.count) else {
                throw BrokerHubError(.invalidArgument, "FHKST11300006: symbols must list 1 to 30 codes, got \(codes.count)")
            }
            for (index, code) in codes.enumerated() {
                given["fid_cond_mrkt_div_code_\(index + 1)"] = "J"
                given["fid_input_iscd_\(index + 1)"] = code
            }
        }
        let known = Set(spec.parameters.map { $0.name.lowercased() })
        if let unknown = given.keys.sorted().first(where: { !known.contains($0) }) {
            throw BrokerHubError(.invalidArgument, "\(spec.id): unknown parameter \(unknown); expected \(spec.parameters.prefix(8).map(\.name).joined(separator: ", "))")
        }
        var items: [BrokerRequest.QueryItem] = []
        for parameter in spec.parameters {
            let value = given[parameter.name.lowercased()] ?? parameter.defaultValue
            guard let value else {
                if parameter.required { throw BrokerHubError(.invalidArgument, "\(spec.id): missing parameter \(parameter.name)") }
                continue
            }
            let normalized = parameter.format == .symbol || parameter.name.hasPrefix("FID_") && parameter.format != .text ? value.uppercased() : value
            if let problem = parameter.problem(with: normalized) {
                throw BrokerHubError(.invalidArgument, "\(spec.id): parameter \(parameter.name) \(problem)")
            }
            items.append(.init(parameter.name, normalized))
        }
        if spec.id == "FHKST11300006" {
            // A market code goes with each symbol.
            for index in 1...30 where items.contains(where: { $0.name == "FID_INPUT_ISCD_\(index)" }) && !items.contains(where: { $0.name == "FID_COND_MRKT_DIV_CODE_\(index)" }) {
                items.append(.init("FID_COND_MRKT_DIV_CODE_\(index)", "J"))
            }
        }
        if spec.method == "GET" {
            return BrokerRequest(provider: provider, transaction: spec.id, method: "GET", path: spec.path, query: items)
        }
        var body = JSONWriter.Object()
        for item in items { body.add(item.name, item.value) }
        return BrokerRequest(provider: provider, transaction: spec.id, method: "POST", path: spec.path, body: Array(body.json.utf8))
    }
}
