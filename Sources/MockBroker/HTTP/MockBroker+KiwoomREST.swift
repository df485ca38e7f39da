import BrokerCore
import BrokerWire
import Foundation
import MockMarket

extension MockBroker {
    static let kiwoomOK = "정상적으로 처리되었습니다"

    /// A Kiwoom error body: `return_code` plus the detailed code inside `return_msg`.
    func kiwoomError(_ status: Int, returnCode: Int, message: String) -> MockResponse {
        var object = JSONWriter.Object()
        object.add("return_msg", message)
        object.add("return_code", Int64(returnCode))
        return .json(status, object.json)
    }

    /// `POST /oauth2/token` (au10001): the current token while it is valid, a new one otherwise.
    func kiwoomIssueToken(_ request: MockRequest) -> MockResponse {
        stats.request(.kiwoom, "au10001")
        guard let body = jsonBody(request) else {
            return kiwoomError(200, returnCode: 2, message: "입력 값 오류입니다[1513:요청 본문이 올바르지 않습니다]")
        }
        guard let appKey = body["appkey"]?.stringValue, !appKey.isEmpty, let secret = body["secretkey"]?.stringValue, !secret.isEmpty else {
            return kiwoomError(200, returnCode: 2, message: "입력 값 오류입니다[8020:appkey 또는 secretkey가 입력되지 않았습니다]")
        }
        guard body["grant_type"]?.stringValue == "client_credentials" else {
            return kiwoomError(200, returnCode: 2, message: "입력 값 오류입니다[8011:grant_type이 올바르지 않습니다]")
        }
        guard let key = configuration.credentials.key(provider: .kiwoom, appKey: appKey), key.secret == secret else {
            stats.error(.kiwoom, "8001")
            return kiwoomError(200, returnCode: 2, message: "입력 값 오류입니다[8001:App Key와 Secret Key 검증에 실패했습니다]")
        }
        let now = Date()
        let lifetime = faults.tokenLifetimeSeconds ?? configuration.kiwoomTokenLifetime.timeInterval
        let token: TokenRegistry.Token
        switch tokens.issue(provider: .kiwoom, appKey: appKey, now: now, lifetime: lifetime, sameTokenWindow: nil, minimumInterval: nil, reuseWhileValid: true) {
        case .issued(let issued):
            stats.update(.kiwoom) { $0.tokensIssued += 1 }
            token = issued
        case .reused(let reused):
            stats.update(.kiwoom) { $0.tokensReused += 1 }
            token = reused
        case .tooFrequent:
            return kiwoomError(200, returnCode: 5, message: "허용된 요청 개수를 초과하였습니다[1700:허용된 요청 개수를 초과하였습니다. API ID=au10001]")
        }
        var object = JSONWriter.Object()
        object.add("expires_dt", KST.compactDateTime(token.expiresAt))
        object.add("token_type", "Bearer")
        object.add("token", token.value)
        object.add("return_code", Int64(0))
        object.add("return_msg", Self.kiwoomOK)
        return .json(200, object.json)
    }

    /// `POST /oauth2/revoke` (au10002).
    func kiwoomRevokeToken(_ request: MockRequest) -> MockResponse {
        stats.request(.kiwoom, "au10002")
        guard let body = jsonBody(request), let appKey = body["appkey"]?.stringValue,
              let key = configuration.credentials.key(provider: .kiwoom, appKey: appKey), body["secretkey"]?.stringValue == key.secret else {
            return kiwoomError(200, returnCode: 2, message: "입력 값 오류입니다[8001:App Key와 Secret Key 검증에 실패했습니다]")
        }
        guard let token = body["token"]?.stringValue, tokens.revoke(token) else {
            return kiwoomError(200, returnCode: 2, message: "입력 값 오류입니다[8015:폐기할 토큰이 존재하지 않습니다]")
        }
        var object = JSONWriter.Object()
        object.add("return_code", Int64(0))
        object.add("return_msg", Self.kiwoomOK)
        return .json(200, object.json)
    }

    /// `POST /api/dostk/{chart,stkinfo}`: the supported api-ids, with rate limits counted per key and api-id.
    func kiwoomTransaction(_ request: MockRequest) -> MockResponse {
        guard let apiID = request.header("api-id"), !apiID.isEmpty else {
            return kiwoomError(200, returnCode: 1, message: "잘못된 요청입니다[1501:API ID가 Null이거나 값이 없습니다]")
        }
        stats.request(.kiwoom, apiID)
        guard let transaction = KiwoomTransaction(rawValue: apiID), transaction.path == request.path else {
            return kiwoomError(200, returnCode: 1, message: "잘못된 요청입니다[1504:해당 URI에서는 지원하는 API ID가 아닙니다. API ID=\(apiID), URI=\(request.path)]")
        }
        guard let authorization = request.header("authorization") else {
            return kiwoomError(200, returnCode: 3, message: "인증에 실패했습니다[8005:Token이 유효하지 않습니다]")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        let tokenText = parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : ""
        guard case .valid(let token) = tokens.validate(tokenText, provider: .kiwoom, now: Date()) else {
            stats.error(.kiwoom, "8005")
            return kiwoomError(200, returnCode: 3, message: "인증에 실패했습니다[8005:Token이 유효하지 않습니다]")
        }
        let limits = configuration.limits
        if !admit([(key: "kiwoom:t:\(token.appKey)", limit: limits.kiwoomTotalPerSecond, window: limits.window)], at: request.arrival) {
            stats.violation(.kiwoom, appKey: token.appKey)
            stats.error(.kiwoom, "1701")
            return kiwoomError(429, returnCode: 5, message: "허용된 요청 개수를 초과하였습니다[1701:허용된 총 요청 개수를 초과하였습니다. 총유량=\(limits.kiwoomTotalPerSecond)]")
        }
        if !admit([(key: "kiwoom:a:\(token.appKey):\(apiID)", limit: limits.kiwoomPerAPIPerSecond, window: limits.window)], at: request.arrival) {
            stats.violation(.kiwoom, appKey: token.appKey)
            stats.error(.kiwoom, "1700")
            return kiwoomError(429, returnCode: 5, message: "허용된 요청 개수를 초과하였습니다[1700:허용된 요청 개수를 초과하였습니다. 유량=\(limits.kiwoomPerAPIPerSecond), API ID=\(apiID)]")
        }
        guard let body = jsonBody(request) else {
            return kiwoomError(200, returnCode: 2, message: "입력 값 오류입니다[1513:요청 본문이 올바르지 않습니다]")
        }
        let required: [String] = switch transaction {
        case .quote: ["stk_cd"]
        case .dailyChart: ["stk_cd", "base_dt", "upd_stkpc_tp"]
        case .minuteChart, .tickChart: ["stk_cd", "tic_scope", "upd_stkpc_tp"]
        }
        for field in required where (body[field]?.text ?? "").isEmpty {
            return kiwoomError(200, returnCode: 2, message: "입력 값 오류입니다[1511:필수 입력 값에 값이 존재하지 않습니다. 필수입력 파라미터=\(field)]")
        }
        let rawCode = body["stk_cd"]?.text ?? ""
        let code = rawCode.hasSuffix("_NX") || rawCode.hasSuffix("_AL") ? String(rawCode.dropLast(3)) : rawCode
        guard let symbol = symbol(code) else {
            return kiwoomError(200, returnCode: 7, message: "서비스를 처리하는 중에 오류가 발생했습니다[1902:종목 정보가 없습니다. 입력한 종목코드 값을 확인바랍니다. 종목코드=\(rawCode)]")
        }
        let continuing = request.header("cont-yn")?.uppercased() == "Y" ? request.header("next-key") : nil
        let now = marketNow
        let page: KiwoomPage
        switch transaction {
        case .quote: page = KiwoomPage(body: kiwoomQuote(symbol, at: now), nextKey: nil)
        case .dailyChart:
            guard let base = KSTDate(body["base_dt"]?.text ?? "") else {
                return kiwoomError(200, returnCode: 2, message: "입력 값 오류입니다[1512:입력 값의 형식이 올바르지 않습니다. 파라미터=base_dt]")
            }
            page = kiwoomDailyChart(symbol, base: base, after: continuing, at: now)
        case .minuteChart, .tickChart:
            guard let scope = Int(body["tic_scope"]?.text ?? ""), [1, 3, 5, 10, 15, 30, 45, 60].contains(scope) else {
                return kiwoomError(200, returnCode: 2, message: "입력 값 오류입니다[1512:입력 값의 형식이 올바르지 않습니다. 파라미터=tic_scope]")
            }
            let base = body["base_dt"].flatMap { KSTDate($0.text) }
            page = transaction == .minuteChart
                ? kiwoomMinuteChart(symbol, scope: scope, base: base, after: continuing, at: now)
                : kiwoomTickChart(symbol, scope: scope, after: continuing, at: now)
        }
        var headers = [("api-id", apiID), ("cont-yn", page.nextKey == nil ? "N" : "Y"), ("next-key", page.nextKey ?? "")]
        headers.append(("content-type", "application/json;charset=UTF-8"))
        return MockResponse(status: 200, headers: headers, body: page.body)
    }

    struct KiwoomPage {
        var body: String
        var nextKey: String?
    }

    /// Kiwoom signs prices by their direction against the previous close.
    static func signed(_ price: Int64, against base: Int64) -> String {
        price > base ? "+\(price)" : (price < base ? "-\(price)" : String(price))
    }

    static func signedNumber(_ value: Int64) -> String { value > 0 ? "+\(value)" : String(value) }

    static func signedRate(_ rate: FixedDecimal) -> String { rate.mantissa > 0 ? "+\(rate)" : rate.description }

    func kiwoomQuote(_ symbol: MockSymbol, at now: Date) -> String {
        let state = market.snapshot(symbol, at: now)
        var object = JSONWriter.Object()
        object.add("stk_cd", symbol.code)
        object.add("stk_nm", symbol.name)
        object.add("setl_mm", "12")
        object.add("fav", "100")
        object.add("cap", String(symbol.listedShares * 100 / 100_000_000))
        object.add("flo_stk", String(symbol.listedShares / 1000))
        if let state {
            let base = state.previousClose
            object.add("mac", String(state.price * symbol.listedShares / 100_000_000))
            object.add("per", "12.34")
            object.add("pbr", "1.23")
            object.add("250hgst", Self.signed(state.upperLimit, against: base))
            object.add("250lwst", Self.signed(state.lowerLimit, against: base))
            object.add("high_pric", Self.signed(state.high, against: base))
            object.add("open_pric", Self.signed(state.open, against: base))
            object.add("low_pric", Self.signed(state.low, against: base))
            object.add("upl_pric", "+\(state.upperLimit)")
            object.add("lst_pric", "-\(state.lowerLimit)")
            object.add("base_pric", String(base))
            object.add("cur_prc", Self.signed(state.price, against: base))
            object.add("pre_sig", state.signCode)
            object.add("pred_pre", Self.signedNumber(state.change))
            object.add("flu_rt", Self.signedRate(state.changeRate))
            object.add("trde_qty", String(state.volume))
        }
        object.add("fav_unit", "원")
        object.add("return_code", Int64(0))
        object.add("return_msg", Self.kiwoomOK)
        return object.json
    }

    /// ka10081: daily bars up to `base_dt`, newest first, 600 a page; `next-key` is the next row's date.
    func kiwoomDailyChart(_ symbol: MockSymbol, base: KSTDate, after key: String?, at now: Date) -> KiwoomPage {
        let end = min(key.flatMap { KSTDate($0) } ?? base, base)
        let bars = market.dailyBars(symbol, from: market.configuration.historyStart, through: end, asOf: now)
        let page = bars.suffix(600).reversed()
        let rows = page.map { bar -> String in
            var object = JSONWriter.Object()
            object.add("cur_prc", String(bar.close))
            object.add("trde_qty", String(bar.volume))
            object.add("trde_prica", String(bar.value / 1_000_000))
            object.add("dt", bar.date.compact)
            object.add("open_pric", String(bar.open))
            object.add("high_pric", String(bar.high))
            object.add("low_pric", String(bar.low))
            object.add("pred_pre", Self.signedNumber(bar.close - bar.previousClose))
            let change = bar.close - bar.previousClose
            object.add("pred_pre_sig", Self.signCode(change))
            object.add("trde_tern_rt", Self.signedRate(Self.rate(bar.volume, symbol.listedShares)))
            return object.json
        }
        let nextKey = bars.count > 600 ? bars[bars.count - 601].date.compact : nil
        return KiwoomPage(body: chartBody(symbol, list: "stk_dt_pole_chart_qry", rows: rows), nextKey: nextKey)
    }

    /// ka10080: `scope`-minute bars going back from `base_dt` (or now) across days, newest first, 900 a page;
    /// `next-key` is the next bar's `cntr_tm`.
    func kiwoomMinuteChart(_ symbol: MockSymbol, scope: Int, base: KSTDate?, after key: String?, at now: Date) -> KiwoomPage {
        let today = KSTDate(now)
        let cursor = key.flatMap { KST.parseCompactDateTime($0) }
        var first = min(base ?? today, today)
        if let cursor { first = min(first, KSTDate(cursor)) }
        var day = market.sessionDay(onOrBefore: first)
        var rows: [(CandleBar, String)] = []
        var nextKey: String?
        days: while let current = day {
            let through = current == today ? KST.secondOfDay(now) : 24 * 3600
            for bar in market.minuteBars(symbol, on: current, through: through, scope: scope).reversed() {
                if let cursor, KST.instant(current, hour: bar.second / 3600, minute: (bar.second / 60) % 60, second: 0) > cursor { continue }
                let stamp = current.compact + Self.hhmmss(bar.second)
                if rows.count == 900 {
                    nextKey = stamp
                    break days
                }
                rows.append((bar, stamp))
            }
            guard let index = market.index(of: current), index > 0 else { break }
            day = market.tradingDays[index - 1]
        }
        let rendered = rows.map { bar, stamp in kiwoomIntradayRow(bar, time: stamp, accumulated: nil) }
        return KiwoomPage(body: chartBody(symbol, list: "stk_min_pole_chart_qry", rows: rendered), nextKey: nextKey)
    }

    /// ka10079: `scope`-trade bars of the current session, newest first, 900 a page.
    func kiwoomTickChart(_ symbol: MockSymbol, scope: Int, after key: String?, at now: Date) -> KiwoomPage {
        guard let day = market.sessionDay(onOrBefore: KSTDate(now)) else {
            return KiwoomPage(body: chartBody(symbol, list: "stk_tic_chart_qry", rows: []), nextKey: nil)
        }
        let through = day == KSTDate(now) ? KST.secondOfDay(now) : 24 * 3600
        let bars = Array(market.tickBars(symbol, on: day, through: through, scope: scope).reversed())
        let offset = key.flatMap { Int($0) } ?? 0
        let page = bars.dropFirst(offset).prefix(900)
        let rows = page.map { kiwoomIntradayRow($0, time: day.compact + Self.hhmmss($0.second), accumulated: nil) }
        let nextKey = offset + page.count < bars.count ? String(offset + page.count) : nil
        return KiwoomPage(body: chartBody(symbol, list: "stk_tic_chart_qry", rows: rows, extra: [("last_tic_cnt", String(bars.first.map { _ in scope } ?? 0))]), nextKey: nextKey)
    }

    func kiwoomIntradayRow(_ bar: CandleBar, time: String, accumulated: Int64?) -> String {
        let base = bar.previousClose
        var object = JSONWriter.Object()
        object.add("cur_prc", Self.signed(bar.close, against: base))
        object.add("trde_qty", String(bar.volume))
        object.add("cntr_tm", time)
        object.add("open_pric", Self.signed(bar.open, against: base))
        object.add("high_pric", Self.signed(bar.high, against: base))
        object.add("low_pric", Self.signed(bar.low, against: base))
        object.add("pred_pre", Self.signedNumber(bar.close - base))
        let change = bar.close - base
        object.add("pred_pre_sig", Self.signCode(change))
        return object.json
    }

    func chartBody(_ symbol: MockSymbol, list: String, rows: [String], extra: [(String, String)] = []) -> String {
        var object = JSONWriter.Object()
        object.add("stk_cd", symbol.code)
        for (name, value) in extra { object.add(name, value) }
        object.add(list, raw: "[" + rows.joined(separator: ",") + "]")
        object.add("return_code", Int64(0))
        object.add("return_msg", Self.kiwoomOK)
        return object.json
    }
}
