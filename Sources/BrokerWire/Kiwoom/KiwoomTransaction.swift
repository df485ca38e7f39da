/// The Kiwoom REST api-ids BrokerHub understands.
public enum KiwoomTransaction: String, Sendable, CaseIterable {
    /// 주식기본정보요청: one symbol's quote and fundamentals.
    case quote = "ka10001"
    /// 주식틱차트조회요청: N-tick candles.
    case tickChart = "ka10079"
    /// 주식분봉차트조회요청: N-minute candles.
    case minuteChart = "ka10080"
    /// 주식일봉차트조회요청: daily candles (600 rows a page, newest first).
    case dailyChart = "ka10081"

    /// The REST path the api-id is posted to.
    public var path: String {
        switch self {
        case .quote: "/api/dostk/stkinfo"
        case .tickChart, .minuteChart, .dailyChart: "/api/dostk/chart"
        }
    }

    /// The body field holding the rows.
    var listField: String? {
        switch self {
        case .quote: nil
        case .tickChart: "stk_tic_chart_qry"
        case .minuteChart: "stk_min_pole_chart_qry"
        case .dailyChart: "stk_dt_pole_chart_qry"
        }
    }
}
