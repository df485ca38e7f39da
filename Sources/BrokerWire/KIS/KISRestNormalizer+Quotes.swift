import BrokerCore
import Foundation

extension KISRestNormalizer {
    /// FHKST01010100: one quote from `output`.
    static func quote(_ body: JSONValue, _ context: NormalizationContext) throws -> NormalizedBatch {
        let transaction = KISTransaction.quote
        let row = try FieldReader(transaction: transaction.rawValue, record: nil, value: body["output"], name: "output")
        let symbol = try row.optionalText("stck_shrn_iscd") ?? requestedSymbol(transaction, context)
        let price = try row.int("stck_prpr")
        guard price != 0 else { throw notFound(transaction, symbol: symbol) }
        let sign = try row.optionalText("prdy_vrss_sign")
        let status = try row.optionalText("iscd_stat_cls_code")
        let warningCode = try row.optionalText("mrkt_warn_cls_code")
        let interruption = try row.optionalText("vi_cls_code")
        let warning: String? = if let warningCode, warningCode != "00" { "market_warning:" + warningCode }
            else if let interruption, interruption != "N" { "vi:" + interruption } else { nil }
        let quote = Quote(
            provider: .kis, symbol: symbol, time: context.receivedAt, receivedAt: context.receivedAt,
            price: price,
            change: SignCode.signed(try row.int("prdy_vrss"), code: sign),
            changeRate: SignCode.signed(try row.decimal("prdy_ctrt"), code: sign),
            open: try row.int("stck_oprc"), high: try row.int("stck_hgpr"), low: try row.int("stck_lwpr"),
            volume: try row.int("acml_vol"), tradingValue: try row.optionalInt("acml_tr_pbmn"),
            previousClose: try row.optionalInt("stck_sdpr"),
            upperLimit: try row.optionalInt("stck_mxpr"), lowerLimit: try row.optionalInt("stck_llam"),
            listedShares: try row.optionalInt("lstn_stcn"),
            halted: try row.optionalText("temp_stop_yn") == "Y" || status == "58", warning: warning,
            sourceType: context.sourceType ?? .restQuote
        )
        return NormalizedBatch(records: [.quote(quote)])
    }

    /// FHKST01010300: the last trades, oldest first. Trades carry a time of day only; the date is the context's.
    static func recentTrades(_ body: JSONValue, _ context: NormalizationContext) throws -> NormalizedBatch {
        let transaction = KISTransaction.recentTrades
        let symbol = try requestedSymbol(transaction, context)
        var skipped: [SkippedRow] = []
        let readers = try rows(body, member: "output", transaction: transaction, skipped: &skipped)
        let date = context.effectiveTradingDate
        var ticks: [MarketRecord] = []
        for row in readers.reversed() {
            let second = try row.timeOfDay("stck_cntg_hour")
            let sign = try row.optionalText("prdy_vrss_sign")
            let tick = Tick(
                provider: .kis, symbol: symbol,
                time: KST.instant(date, hour: second / 3600, minute: (second / 60) % 60, second: second % 60),
                receivedAt: context.receivedAt,
                price: try row.int("stck_prpr"), volume: abs(try row.int("cntg_vol")),
                change: SignCode.signed(try row.int("prdy_vrss"), code: sign),
                changeRate: SignCode.signed(try row.optionalDecimal("prdy_ctrt") ?? .zero, code: sign),
                sourceType: context.sourceType ?? .restQuote
            )
            ticks.append(.tick(tick))
        }
        return NormalizedBatch(records: ticks, skipped: skipped)
    }

    /// FHKST11300006: up to 30 quotes, each identified by its own `inter_shrn_iscd`.
    /// Placeholder rows and unknown symbols (price 0) are reported as skipped.
    static func multiQuote(_ body: JSONValue, _ context: NormalizationContext) throws -> NormalizedBatch {
        let transaction = KISTransaction.multiQuote
        var skipped: [SkippedRow] = []
        let readers = try rows(body, member: "output", transaction: transaction, skipped: &skipped)
        var quotes: [MarketRecord] = []
        for row in readers {
            guard let symbol = try row.optionalText("inter_shrn_iscd") else {
                skipped.append(SkippedRow(record: row.record ?? 0, reason: "row names no symbol (inter_shrn_iscd empty)"))
                continue
            }
            let price = try row.optionalInt("inter2_prpr") ?? 0
            guard price != 0 else {
                skipped.append(SkippedRow(record: row.record ?? 0, reason: "symbol \(symbol) not found (inter2_prpr \"0\")"))
                continue
            }
            let sign = try row.optionalText("prdy_vrss_sign")
            let quote = Quote(
                provider: .kis, symbol: symbol, name: try row.optionalText("inter_kor_isnm"),
                time: context.receivedAt, receivedAt: context.receivedAt, price: price,
                change: SignCode.signed(try row.int("inter2_prdy_vrss"), code: sign),
                changeRate: SignCode.signed(try row.decimal("prdy_ctrt"), code: sign),
                open: try row.int("inter2_oprc"), high: try row.int("inter2_hgpr"), low: try row.int("inter2_lwpr"),
                volume: try row.int("acml_vol"), tradingValue: try row.optionalInt("acml_tr_pbmn"),
                previousClose: try row.optionalInt("inter2_prdy_clpr"),
                upperLimit: try row.optionalInt("inter2_mxpr"), lowerLimit: try row.optionalInt("inter2_llam"),
                askPrice: try row.optionalInt("inter2_askp"), bidPrice: try row.optionalInt("inter2_bidp"),
                askSize: try row.optionalInt("seln_rsqn"), bidSize: try row.optionalInt("shnu_rsqn"),
                sourceType: context.sourceType ?? .restQuote
            )
            quotes.append(.quote(quote))
        }
        return NormalizedBatch(records: quotes, skipped: skipped)
    }
}
