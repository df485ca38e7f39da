import BrokerCore
import Foundation

extension KISRestNormalizer {
    /// FHKST01010400: the last 30 days/weeks/months from `output`, oldest first.
    static func dailyPrice(_ body: JSONValue, _ context: NormalizationContext) throws -> NormalizedBatch {
        let transaction = KISTransaction.dailyPrice
        let symbol = try requestedSymbol(transaction, context)
        let interval = try periodInterval(transaction, context)
        var skipped: [SkippedRow] = []
        let readers = try rows(body, member: "output", transaction: transaction, skipped: &skipped)
        let candles = try readers.map { try datedCandle($0, symbol: symbol, interval: interval, valueField: nil, context) }
        return NormalizedBatch(records: sortedByStart(candles), skipped: skipped)
    }

    /// FHKST03010100: candles from `output2` (newest first, with empty `{}` rows); `output1.stck_prpr == "0"` means unknown symbol.
    static func periodChart(_ body: JSONValue, _ context: NormalizationContext) throws -> NormalizedBatch {
        let transaction = KISTransaction.periodChart
        let summary = try FieldReader(transaction: transaction.rawValue, record: nil, value: body["output1"], name: "output1")
        let symbol = try summary.optionalText("stck_shrn_iscd") ?? requestedSymbol(transaction, context)
        if try summary.optionalInt("stck_prpr") ?? 0 == 0 { throw notFound(transaction, symbol: symbol) }
        let interval = try periodInterval(transaction, context)
        var skipped: [SkippedRow] = []
        let readers = try rows(body, member: "output2", transaction: transaction, skipped: &skipped)
        let candles = try readers.map { try datedCandle($0, symbol: symbol, interval: interval, valueField: "acml_tr_pbmn", context) }
        return NormalizedBatch(records: sortedByStart(candles), skipped: skipped)
    }

    /// FHKST03010200 (today) and FHKST03010230 (a past day): one-minute candles from `output2`, oldest first.
    static func minuteChart(_ transaction: KISTransaction, _ body: JSONValue, _ context: NormalizationContext) throws -> NormalizedBatch {
        let symbol = try requestedSymbol(transaction, context)
        var skipped: [SkippedRow] = []
        let readers = try rows(body, member: "output2", transaction: transaction, skipped: &skipped)
        let candles = try readers.map { row -> Candle in
            let date = try row.date("stck_bsop_date")
            let second = try row.timeOfDay("stck_cntg_hour")
            return try candle(
                row, symbol: symbol, interval: .oneMinute,
                start: KST.instant(date, hour: second / 3600, minute: (second / 60) % 60, second: second % 60),
                closeField: "stck_prpr", volumeField: "cntg_vol", valueField: nil, context
            )
        }
        return NormalizedBatch(records: sortedByStart(candles), skipped: skipped)
    }

    private static func datedCandle(
        _ row: FieldReader, symbol: String, interval: CandleInterval, valueField: String?, _ context: NormalizationContext
    ) throws -> Candle {
        let start = try row.date("stck_bsop_date").start
        return try candle(row, symbol: symbol, interval: interval, start: start, closeField: "stck_clpr", volumeField: "acml_vol", valueField: valueField, context)
    }

    /// Reads OHLCV; a bar without volume is a halt: KIS may send zero open/high/low, which become the close.
    private static func candle(
        _ row: FieldReader, symbol: String, interval: CandleInterval, start: Date,
        closeField: String, volumeField: String, valueField: String?, _ context: NormalizationContext
    ) throws -> Candle {
        let close = try row.int(closeField)
        var open = try row.int("stck_oprc"), high = try row.int("stck_hgpr"), low = try row.int("stck_lwpr")
        let volume = try row.int(volumeField)
        let halted = volume == 0 && interval.unit != .minute
        if halted {
            if open == 0 { open = close }
            if high == 0 { high = close }
            if low == 0 { low = close }
        }
        guard low <= high, close > 0 else {
            throw row.error(closeField, "inconsistent bar: open \(open) high \(high) low \(low) close \(close)")
        }
        return Candle(
            provider: .kis, symbol: symbol, interval: interval, start: start,
            open: open, high: high, low: low, close: close, volume: volume,
            tradingValue: try valueField.flatMap { try row.optionalInt($0) }, halted: halted,
            sourceType: context.sourceType ?? .restCandle, receivedAt: context.receivedAt
        )
    }

    static func sortedByStart(_ candles: [Candle]) -> [MarketRecord] {
        candles.sorted { $0.start < $1.start }.map(MarketRecord.candle)
    }
}
