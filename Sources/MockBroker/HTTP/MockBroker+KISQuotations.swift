import BrokerCore
import BrokerWire
import Foundation
import MockMarket

extension MockBroker {
    /// `GET /uapi/domestic-stock/v1/quotations/…`: the quotation TRs.
    func kisQuotation(_ request: MockRequest) -> MockResponse {
        if request.path == Self.searchInfoPath { return kisSearchInfo(request) }
        guard let transaction = KISTransaction.at(path: request.path) else {
            stats.error(.kis, "MCA00124")
            return kisError(404, code: "MCA00124", message: "해당 서비스를 찾을수 없습니다.")
        }
        stats.request(.kis, transaction.rawValue)
        let (key, failure) = kisAuthorize(request, transaction: transaction.rawValue)
        if let failure { return failure }
        if transaction == .multiQuote || transaction == .pastMinuteChart, key.kind == .paper {
            return kisError(500, code: "EGW02006", message: "모의투자에서는 해당업무가 제공되지 않습니다.")
        }
        if transaction != .multiQuote {
            let market = request.parameter("FID_COND_MRKT_DIV_CODE") ?? ""
            guard ["J", "NX", "UN"].contains(market.uppercased()) else {
                return kisError(200, code: "OPSQ2001", message: "ERROR INVALID FID_COND_MRKT_DIV_CODE", returnCode: "2")
            }
            guard let code = request.parameter("FID_INPUT_ISCD"), !code.isEmpty else {
                return kisError(200, code: "OPSQ2001", message: "ERROR INVALID FID_INPUT_ISCD", returnCode: "2")
            }
        }
        let now = marketNow
        let code = request.parameter("FID_INPUT_ISCD") ?? ""
        var trCont = "D"
        let body: String
        switch transaction {
        case .quote: body = kisEnvelope(output: kisQuoteOutput(code: code, at: now))
        case .dailyPrice:
            guard let period = request.parameter("FID_PERIOD_DIV_CODE").map({ $0.uppercased() }), ["D", "W", "M"].contains(period) else {
                return kisError(200, code: "OPSQ2001", message: "ERROR INVALID FID_PERIOD_DIV_CODE", returnCode: "2")
            }
            body = kisEnvelope(output: kisDailyPriceRows(code: code, period: period, at: now))
        case .periodChart:
            // Clients send 00000101 for "from the beginning".
            let startText = request.parameter("FID_INPUT_DATE_1") ?? ""
            guard let start = startText == "00000101" ? market.configuration.historyStart : KSTDate(startText),
                  let end = request.parameter("FID_INPUT_DATE_2").flatMap({ KSTDate($0) }) else {
                return kisError(200, code: "OPSQ2001", message: "ERROR INVALID FID_INPUT_DATE", returnCode: "2")
            }
            guard let period = request.parameter("FID_PERIOD_DIV_CODE").map({ $0.uppercased() }), ["D", "W", "M", "Y"].contains(period) else {
                return kisError(200, code: "OPSQ2001", message: "ERROR INVALID FID_PERIOD_DIV_CODE", returnCode: "2")
            }
            let (rows, more) = kisChartRows(code: code, period: period, start: start, end: end, at: now)
            if more { trCont = "M" }
            body = kisEnvelope(output1: kisChartSummary(code: code, at: now), output2: rows)
        case .minuteChart:
            guard let hour = request.parameter("FID_INPUT_HOUR_1"), let second = NumberText.timeOfDay(hour) else {
                return kisError(200, code: "OPSQ2001", message: "ERROR INVALID FID_INPUT_HOUR_1", returnCode: "2")
            }
            body = kisEnvelope(output1: kisMinuteSummary(code: code, at: now), output2: kisMinuteRows(code: code, through: second, at: now))
        case .pastMinuteChart:
            guard let day = request.parameter("FID_INPUT_DATE_1").flatMap({ KSTDate($0) }) else {
                return kisError(200, code: "OPSQ2001", message: "ERROR INVALID FID_INPUT_DATE_1", returnCode: "2")
            }
            let hour = request.parameter("FID_INPUT_HOUR_1") ?? ""
            guard let second = hour.isEmpty ? 86_399 : NumberText.timeOfDay(hour) else {
                return kisError(200, code: "OPSQ2001", message: "ERROR INVALID FID_INPUT_HOUR_1", returnCode: "2")
            }
            body = kisEnvelope(output1: kisPastMinuteSummary(code: code), output2: kisPastMinuteRows(code: code, on: day, through: second, at: now))
        case .recentTrades: body = kisEnvelope(output: kisTradeRows(code: code, at: now))
        case .multiQuote: body = kisEnvelope(output: kisMultiQuoteRows(request, at: now))
        }
        let gtUID = SeededRandomText.hex(seed: SeededRandomText.stableHash(code) ^ UInt64(Date().timeIntervalSince1970 * 1000), length: 32)
        return .json(200, body, headers: [("tr_id", transaction.rawValue), ("tr_cont", trCont), ("gt_uid", gtUID)])
    }

    static let searchInfoPath = "/uapi/domestic-stock/v1/quotations/search-info"

    /// `CTPF1604R` 상품기본조회 (search-info): python-kis resolves a symbol with it before quoting.
    func kisSearchInfo(_ request: MockRequest) -> MockResponse {
        stats.request(.kis, "CTPF1604R")
        let (_, failure) = kisAuthorize(request, transaction: "CTPF1604R")
        if let failure { return failure }
        guard let code = request.parameter("PDNO"), let symbol = symbol(code) else {
            return kisError(200, code: "OPSQ0002", message: "조회할 자료가 없습니다.", returnCode: "7")
        }
        var object = JSONWriter.Object()
        object.add("pdno", "00000" + symbol.code)
        object.add("prdt_type_cd", "300")
        object.add("prdt_name", symbol.name)
        object.add("prdt_name120", symbol.name)
        object.add("prdt_abrv_name", symbol.name)
        object.add("prdt_eng_name", "MOCK \(symbol.code)")
        object.add("prdt_eng_name120", "MOCK \(symbol.code)")
        object.add("prdt_eng_abrv_name", "MOCK \(symbol.code)")
        object.add("std_pdno", "KR7\(symbol.code)003")
        object.add("shtn_pdno", symbol.code)
        return .json(200, kisEnvelope(output: object.json), headers: [("tr_id", "CTPF1604R"), ("tr_cont", "D")])
    }

    func kisEnvelope(output: String) -> String {
        var object = JSONWriter.Object()
        object.add("output", raw: output)
        object.add("rt_cd", "0")
        object.add("msg_cd", "MCA00000")
        object.add("msg1", "정상처리 되었습니다.")
        return object.json
    }

    func kisEnvelope(output1: String, output2: String) -> String {
        var object = JSONWriter.Object()
        object.add("output1", raw: output1)
        object.add("output2", raw: output2)
        object.add("rt_cd", "0")
        object.add("msg_cd", "MCA00000")
        object.add("msg1", "정상처리 되었습니다.")
        return object.json
    }

    /// FHKST01010100 `output`; an unknown symbol answers `stck_prpr:"0"` like the real broker.
    func kisQuoteOutput(code: String, at now: Date) -> String {
        guard let symbol = symbol(code), let state = market.snapshot(symbol, at: now) else {
            var object = JSONWriter.Object()
            for field in ["stck_prpr", "prdy_vrss", "prdy_ctrt", "acml_vol", "acml_tr_pbmn", "stck_oprc", "stck_hgpr", "stck_lwpr", "stck_mxpr", "stck_llam", "stck_sdpr"] {
                object.add(field, field == "prdy_ctrt" ? "0.00" : "0")
            }
            object.add("prdy_vrss_sign", "3")
            object.add("stck_shrn_iscd", "")
            object.add("iscd_stat_cls_code", "")
            return object.json
        }
        let price = state.price
        var object = JSONWriter.Object()
        object.add("iscd_stat_cls_code", state.halted ? "58" : "55")
        object.add("marg_rate", "20.00")
        object.add("rprs_mrkt_kor_name", symbol.market == "KOSPI" ? "KOSPI200" : "KOSDAQ")
        object.add("bstp_kor_isnm", "전기·전자")
        object.add("temp_stop_yn", state.halted ? "Y" : "N")
        object.add("crdt_able_yn", "Y")
        object.add("stck_prpr", String(price))
        object.add("prdy_vrss", String(state.change))
        object.add("prdy_vrss_sign", state.signCode)
        object.add("prdy_ctrt", state.changeRate.description)
        object.add("acml_tr_pbmn", String(state.value))
        object.add("acml_vol", String(state.volume))
        object.add("prdy_vrss_vol_rate", "100.00")
        object.add("stck_oprc", String(state.open))
        object.add("stck_hgpr", String(state.high))
        object.add("stck_lwpr", String(state.low))
        object.add("stck_mxpr", String(state.upperLimit))
        object.add("stck_llam", String(state.lowerLimit))
        object.add("stck_sdpr", String(state.previousClose))
        object.add("wghn_avrg_stck_prc", state.volume > 0 ? Self.decimal2(state.value * 100 / state.volume) : "0.00")
        object.add("hts_frgn_ehrt", "31.25")
        object.add("frgn_ntby_qty", "0")
        object.add("aspr_unit", String(KRXPriceRules.tickSize(at: price)))
        object.add("lstn_stcn", String(symbol.listedShares))
        object.add("hts_avls", String(price * symbol.listedShares / 100_000_000))
        object.add("per", "12.34")
        object.add("pbr", "1.23")
        object.add("eps", Self.decimal2(price * 100 / 12))
        object.add("bps", Self.decimal2(price * 100 * 100 / 123))
        object.add("w52_hgpr", String(state.upperLimit))
        object.add("w52_lwpr", String(state.lowerLimit))
        object.add("stck_shrn_iscd", symbol.code)
        object.add("vi_cls_code", "N")
        object.add("ovtm_vi_cls_code", "N")
        object.add("invt_caful_yn", "N")
        object.add("mrkt_warn_cls_code", "00")
        object.add("short_over_yn", "N")
        object.add("sltr_yn", "N")
        object.add("mang_issu_cls_code", "N")
        return object.json
    }

    /// FHKST01010400 rows: the last 30 days/weeks/months, newest first.
    func kisDailyPriceRows(code: String, period: String, at now: Date) -> String {
        guard let symbol = symbol(code) else { return "[]" }
        let today = KSTDate(now)
        let span = period == "D" ? 60 : (period == "W" ? 240 : 1_000)
        let unit: CandleInterval.Unit = period == "D" ? .day : (period == "W" ? .week : .month)
        let bars = market.periodBars(symbol, unit: unit, from: today.adding(days: -span), through: today, asOf: now)
        let rows = bars.suffix(30).reversed().map { bar -> String in
            var object = JSONWriter.Object()
            object.add("stck_bsop_date", bar.date.compact)
            Self.addKISBar(&object, bar)
            object.add("prdy_vrss_vol_rate", "0.00")
            Self.addKISChange(&object, bar)
            object.add("hts_frgn_ehrt", "31.25")
            object.add("frgn_ntby_qty", "0")
            object.add("flng_cls_code", "00")
            object.add("acml_prtt_rate", "0.00")
            return object.json
        }
        return "[" + rows.joined(separator: ",") + "]"
    }

    /// FHKST03010100 `output2`: bars in the range, newest first, at most 100; `more` when older rows were cut.
    func kisChartRows(code: String, period: String, start: KSTDate, end: KSTDate, at now: Date) -> (String, Bool) {
        guard let symbol = symbol(code) else { return ("[]", false) }
        let unit: CandleInterval.Unit = ["D": .day, "W": .week, "M": .month, "Y": .year][period] ?? .day
        let bars = market.periodBars(symbol, unit: unit, from: start, through: end, asOf: now)
        guard !bars.isEmpty else { return ("[{}]", false) }
        let rows = bars.suffix(100).reversed().map { bar -> String in
            var object = JSONWriter.Object()
            object.add("stck_bsop_date", bar.date.compact)
            Self.addKISBar(&object, bar)
            object.add("acml_tr_pbmn", String(bar.value))
            object.add("flng_cls_code", "00")
            object.add("prtt_rate", "0.00")
            object.add("mod_yn", "N")
            Self.addKISChange(&object, bar)
            object.add("revl_issu_reas", "")
            return object.json
        }
        return ("[" + rows.joined(separator: ",") + "]", bars.count > 100)
    }

    /// OHLCV of a KIS daily row; halt days carry zero open/high/low like the real broker.
    static func addKISBar(_ object: inout JSONWriter.Object, _ bar: CandleBar) {
        object.add("stck_clpr", String(bar.close))
        object.add("stck_oprc", bar.halted ? "0" : String(bar.open))
        object.add("stck_hgpr", bar.halted ? "0" : String(bar.high))
        object.add("stck_lwpr", bar.halted ? "0" : String(bar.low))
        object.add("acml_vol", String(bar.volume))
    }

    static func addKISChange(_ object: inout JSONWriter.Object, _ bar: CandleBar) {
        let change = bar.close - bar.previousClose
        object.add("prdy_vrss_sign", Self.signCode(change))
        object.add("prdy_vrss", String(change))
        object.add("prdy_ctrt", rate(change, bar.previousClose).description)
    }

    func kisChartSummary(code: String, at now: Date) -> String {
        guard let symbol = symbol(code), let state = market.snapshot(symbol, at: now) else {
            var object = JSONWriter.Object()
            for field in ["prdy_vrss", "stck_prdy_clpr", "acml_vol", "acml_tr_pbmn", "stck_prpr", "stck_mxpr", "stck_llam", "stck_oprc", "stck_hgpr", "stck_lwpr"] {
                object.add(field, "0")
            }
            object.add("prdy_vrss_sign", "3")
            object.add("prdy_ctrt", "0.00")
            object.add("hts_kor_isnm", "")
            object.add("stck_shrn_iscd", "")
            return object.json
        }
        var object = JSONWriter.Object()
        object.add("prdy_vrss", String(state.change))
        object.add("prdy_vrss_sign", state.signCode)
        object.add("prdy_ctrt", state.changeRate.description)
        object.add("stck_prdy_clpr", String(state.previousClose))
        object.add("acml_vol", String(state.volume))
        object.add("acml_tr_pbmn", String(state.value))
        object.add("hts_kor_isnm", symbol.name)
        object.add("stck_prpr", String(state.price))
        object.add("stck_shrn_iscd", symbol.code)
        object.add("stck_mxpr", String(state.upperLimit))
        object.add("stck_llam", String(state.lowerLimit))
        object.add("stck_oprc", String(state.open))
        object.add("stck_hgpr", String(state.high))
        object.add("stck_lwpr", String(state.low))
        object.add("lstn_stcn", String(symbol.listedShares))
        object.add("per", "12.34")
        object.add("eps", "0.00")
        object.add("pbr", "1.23")
        return object.json
    }

    func kisMinuteSummary(code: String, at now: Date) -> String {
        guard let symbol = symbol(code), let state = market.snapshot(symbol, at: now) else { return kisChartSummary(code: code, at: now) }
        var object = JSONWriter.Object()
        object.add("prdy_vrss", String(state.change))
        object.add("prdy_vrss_sign", state.signCode)
        object.add("prdy_ctrt", state.changeRate.description)
        object.add("stck_prdy_clpr", String(state.previousClose))
        object.add("acml_vol", String(state.volume))
        object.add("acml_tr_pbmn", String(state.value))
        object.add("hts_kor_isnm", symbol.name)
        object.add("stck_prpr", String(state.price))
        return object.json
    }

    /// FHKST03010200 `output2`: 30 one-minute bars of today ending at the requested time (a future time means
    /// now), newest first.
    func kisMinuteRows(code: String, through requested: Int, at now: Date) -> String {
        guard let symbol = symbol(code), let day = market.sessionDay(onOrBefore: KSTDate(now)) else { return "[]" }
        let limit = day < KSTDate(now) ? requested : min(requested, KST.secondOfDay(now))
        return kisMinuteRows(market.minuteBars(symbol, on: day, through: limit), count: 30)
    }

    /// FHKST03010230 `output1`: the few summary fields the TR carries.
    func kisPastMinuteSummary(code: String) -> String {
        var object = JSONWriter.Object()
        object.add("prdt_type_cd", "300")
        object.add("stck_shrn_iscd", symbol(code)?.code ?? "")
        object.add("hts_kor_isnm", symbol(code)?.name ?? "")
        return object.json
    }

    /// FHKST03010230 `output2`: up to 120 one-minute bars of `day` at or before `requested`, newest first — the
    /// same bars as every other surface; none for a day without a session, a day more than a year back or a
    /// day still to come; today's only up to now.
    func kisPastMinuteRows(code: String, on day: KSTDate, through requested: Int, at now: Date) -> String {
        let today = KSTDate(now)
        guard let symbol = symbol(code), day <= today, day > today.adding(days: -366),
              market.sessionDay(onOrBefore: day) == day else { return "[]" }
        let limit = day < today ? requested : min(requested, KST.secondOfDay(now))
        return kisMinuteRows(market.minuteBars(symbol, on: day, through: limit), count: 120)
    }

    /// The last `count` of `bars` as minute-candle rows, newest first; `acml_tr_pbmn` is the day's running value.
    func kisMinuteRows(_ bars: [CandleBar], count: Int) -> String {
        var cumulative: [Int64] = []
        var running: Int64 = 0
        for bar in bars {
            running += bar.value
            cumulative.append(running)
        }
        let rows = zip(bars, cumulative).suffix(count).reversed().map { bar, value -> String in
            var object = JSONWriter.Object()
            object.add("stck_bsop_date", bar.date.compact)
            object.add("stck_cntg_hour", Self.hhmmss(bar.second))
            object.add("stck_prpr", String(bar.close))
            object.add("stck_oprc", String(bar.open))
            object.add("stck_hgpr", String(bar.high))
            object.add("stck_lwpr", String(bar.low))
            object.add("cntg_vol", String(bar.volume))
            object.add("acml_tr_pbmn", String(value))
            return object.json
        }
        return "[" + rows.joined(separator: ",") + "]"
    }

    /// FHKST01010300 `output`: the last 30 trades, newest first.
    func kisTradeRows(code: String, at now: Date) -> String {
        guard let symbol = symbol(code), let state = market.snapshot(symbol, at: now),
              let session = market.session(symbol, on: state.date) else { return "[]" }
        let end = state.tradeCount
        var buyVolume: Int64 = 0, sellVolume: Int64 = 0
        for index in 0..<end {
            if session.buys[index] { buyVolume += Int64(session.volumes[index]) } else { sellVolume += Int64(session.volumes[index]) }
        }
        var rows: [String] = []
        var index = end - 1
        while index >= 0, rows.count < 30 {
            let price = session.prices[index]
            let change = price - session.previousClose
            var object = JSONWriter.Object()
            object.add("stck_cntg_hour", Self.hhmmss(Int(session.seconds[index])))
            object.add("stck_prpr", String(price))
            object.add("prdy_vrss", String(change))
            object.add("prdy_vrss_sign", Self.signCode(change))
            object.add("cntg_vol", String(session.volumes[index]))
            object.add("tday_rltv", sellVolume > 0 ? Self.decimal2(buyVolume * 10_000 / sellVolume) : "0.00")
            object.add("prdy_ctrt", Self.rate(change, session.previousClose).description)
            rows.append(object.json)
            if session.buys[index] { buyVolume -= Int64(session.volumes[index]) } else { sellVolume -= Int64(session.volumes[index]) }
            index -= 1
        }
        return "[" + rows.joined(separator: ",") + "]"
    }

    /// FHKST11300006 `output`: one row per requested index; unknown symbols answer zeros.
    func kisMultiQuoteRows(_ request: MockRequest, at now: Date) -> String {
        var rows: [String] = []
        for index in 1...30 {
            guard let code = request.parameter("FID_INPUT_ISCD_\(index)"), !code.isEmpty else { continue }
            var object = JSONWriter.Object()
            if let symbol = symbol(code), let state = market.snapshot(symbol, at: now) {
                object.add("kospi_kosdaq_cls_name", symbol.market)
                object.add("mrkt_trtm_cls_name", "")
                object.add("hour_cls_code", "0")
                object.add("inter_shrn_iscd", symbol.code)
                object.add("inter_kor_isnm", symbol.name)
                object.add("inter2_prpr", String(state.price))
                object.add("inter2_prdy_vrss", String(abs(state.change)))
                object.add("prdy_vrss_sign", state.signCode)
                object.add("prdy_ctrt", state.changeRate.magnitude.description)
                object.add("acml_vol", String(state.volume))
                object.add("inter2_oprc", String(state.open))
                object.add("inter2_hgpr", String(state.high))
                object.add("inter2_lwpr", String(state.low))
                object.add("inter2_llam", String(state.lowerLimit))
                object.add("inter2_mxpr", String(state.upperLimit))
                object.add("inter2_askp", String(KRXPriceRules.tickUp(state.price)))
                object.add("inter2_bidp", String(state.price))
                // Sizes at the best ask and bid: stable per symbol and minute, so two polls within a minute agree.
                let sizes = SeededRandomText.stableHash(symbol.code) ^ UInt64(max(0, KST.wholeSeconds(now) / 60))
                object.add("seln_rsqn", String(100 + Int64(sizes % 9_900)))
                object.add("shnu_rsqn", String(100 + Int64((sizes >> 16) % 9_900)))
                object.add("acml_tr_pbmn", String(state.value))
                object.add("inter2_prdy_clpr", String(state.previousClose))
                object.add("inter2_sdpr", String(state.previousClose))
            } else {
                object.add("inter_shrn_iscd", code)
                object.add("inter_kor_isnm", "")
                for field in ["inter2_prpr", "inter2_prdy_vrss", "acml_vol", "inter2_oprc", "inter2_hgpr", "inter2_lwpr", "inter2_prdy_clpr"] {
                    object.add(field, "0")
                }
                object.add("prdy_vrss_sign", "3")
                object.add("prdy_ctrt", "0.00")
            }
            rows.append(object.json)
        }
        return "[" + rows.joined(separator: ",") + "]"
    }

    static func hhmmss(_ second: Int) -> String { KISFrameEncoder.hhmmss(second) }

    /// The brokers' direction code for a change against the previous close (2 up, 5 down, 3 unchanged).
    static func signCode(_ change: Int64) -> String { change > 0 ? "2" : (change < 0 ? "5" : "3") }

    static func decimal2(_ hundredths: Int64) -> String { FixedDecimal(mantissa: hundredths, scale: 2).description }

    /// `change / base` in percent, two decimals, rounded half away from zero.
    static func rate(_ change: Int64, _ base: Int64) -> FixedDecimal {
        guard base > 0 else { return FixedDecimal(mantissa: 0, scale: 2) }
        let scaled = change * 10_000
        let rounded = (scaled + (scaled >= 0 ? base / 2 : -base / 2)) / base
        return FixedDecimal(mantissa: rounded, scale: 2)
    }
}
