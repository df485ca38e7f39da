import BrokerCore
import Foundation

/// Turns Kiwoom REST answers into BrokerHub records: signed prices become magnitudes, `trde_prica`
/// (백만원) becomes KRW, `cntr_tm` `888888`/`999999` become 16:00/18:00, rows come out oldest first,
/// and halt days (no volume) are marked.
public enum KiwoomRestNormalizer {
    /// Normalises one answer of `apiID`. Throws a broker error when `return_code` ≠ 0, `.notFound` for an
    /// unknown symbol and `.malformedPayload` naming the api-id, record and field otherwise.
    public static func normalize(
        apiID: String, body: JSONValue, httpStatus: Int = 200, context: NormalizationContext
    ) throws -> NormalizedBatch {
        if let failure = KiwoomEnvelope.failure(httpStatus: httpStatus, body: body) {
            throw BrokerHubError.broker(failure)
        }
        guard let transaction = KiwoomTransaction(rawValue: apiID.lowercased()) else {
            throw BrokerHubError(.unsupportedTransaction, "Kiwoom api-id \(apiID) is not supported; supported: \(KiwoomTransaction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard body.objectValue != nil else {
            throw BrokerHubError.malformed(transaction.rawValue, "expected a JSON object body")
        }
        switch transaction {
        case .quote: return try quote(body, context)
        case .dailyChart, .minuteChart, .tickChart: return try chart(transaction, body, context)
        }
    }

    public static func normalize(apiID: String, body: [UInt8], httpStatus: Int = 200, context: NormalizationContext) throws -> NormalizedBatch {
        try normalize(apiID: apiID, body: try KISRestNormalizer.parseBody(body, transaction: apiID), httpStatus: httpStatus, context: context)
    }

    /// ka10001: a flat object of signed strings.
    static func quote(_ body: JSONValue, _ context: NormalizationContext) throws -> NormalizedBatch {
        let row = try FieldReader(transaction: KiwoomTransaction.quote.rawValue, record: nil, value: body, name: "body")
        let symbol = try symbolOf(body, row: row, context, transaction: .quote)
        let price = try row.optionalPrice("cur_prc") ?? 0
        guard price != 0 else { throw notFound(.quote, symbol: symbol) }
        let sign = try row.optionalText("pre_sig")
        let quote = Quote(
            provider: .kiwoom, symbol: symbol, name: try row.optionalText("stk_nm"),
            time: context.receivedAt, receivedAt: context.receivedAt, price: price,
            change: SignCode.signed(try row.int("pred_pre"), code: sign),
            changeRate: SignCode.signed(try row.decimal("flu_rt"), code: sign),
            open: try row.price("open_pric"), high: try row.price("high_pric"), low: try row.price("low_pric"),
            volume: try row.int("trde_qty"),
            previousClose: try row.optionalPrice("base_pric"),
            upperLimit: try row.optionalPrice("upl_pric"), lowerLimit: try row.optionalPrice("lst_pric"),
            sourceType: context.sourceType ?? .restQuote
        )
        return NormalizedBatch(records: [.quote(quote)])
    }

    /// ka10079 / ka10080 / ka10081: candles from the list field, oldest first.
    static func chart(_ transaction: KiwoomTransaction, _ body: JSONValue, _ context: NormalizationContext) throws -> NormalizedBatch {
        let name = transaction.rawValue
        let top = try FieldReader(transaction: name, record: nil, value: body, name: "body")
        let symbol = try symbolOf(body, row: top, context, transaction: transaction)
        let interval = try Self.interval(transaction, context)
        guard let listField = transaction.listField else { return NormalizedBatch() }
        var skipped: [SkippedRow] = []
        var candles: [Candle] = []
        let elements: [JSONValue]
        switch body[listField] {
        case .none, .some(.null): elements = []
        case .some(.array(let values)): elements = values
        case .some: throw BrokerHubError.malformed(name, field: listField, "expected an array")
        }
        for (index, element) in elements.enumerated() {
            let row = try FieldReader(transaction: name, record: index, value: element, name: listField)
            if row.isBlank {
                skipped.append(SkippedRow(record: index, reason: "empty row in \(listField)"))
                continue
            }
            candles.append(try candle(row, transaction: transaction, symbol: symbol, interval: interval, context))
        }
        return NormalizedBatch(records: KISRestNormalizer.sortedByStart(candles), skipped: skipped)
    }

    private static func candle(
        _ row: FieldReader, transaction: KiwoomTransaction, symbol: String, interval: CandleInterval, _ context: NormalizationContext
    ) throws -> Candle {
        let start: Date
        if transaction == .dailyChart {
            start = try row.date("dt").start
        } else {
            let text = try row.text("cntr_tm")
            guard text.utf8.count == 14, let date = KSTDate(text.prefix(8)),
                  let second = NumberText.timeOfDay(text.suffix(6)) else {
                throw row.error("cntr_tm", "expected YYYYMMDDHHMMSS, got \"\(text.prefix(40))\"")
            }
            start = KST.instant(date, hour: second / 3600, minute: (second / 60) % 60, second: second % 60)
        }
        let close = try row.price("cur_prc")
        let volume = abs(try row.int("trde_qty"))
        var open = try row.optionalPrice("open_pric") ?? 0
        var high = try row.optionalPrice("high_pric") ?? 0
        var low = try row.optionalPrice("low_pric") ?? 0
        let halted = transaction == .dailyChart && volume == 0
        // Tick charts and halt days may leave open/high/low empty or zero: the bar is its close.
        if open == 0 { open = close }
        if high == 0 { high = max(open, close) }
        if low == 0 { low = min(open, close) }
        guard low <= high, close > 0 else {
            throw row.error("cur_prc", "inconsistent bar: open \(open) high \(high) low \(low) close \(close)")
        }
        let value = try transaction == .dailyChart ? row.optionalMillions("trde_prica") : nil
        return Candle(
            provider: .kiwoom, symbol: symbol, interval: interval, start: start,
            open: open, high: high, low: low, close: close, volume: volume, tradingValue: value, halted: halted,
            sourceType: context.sourceType ?? .restCandle, receivedAt: context.receivedAt
        )
    }

    static func interval(_ transaction: KiwoomTransaction, _ context: NormalizationContext) throws -> CandleInterval {
        let scopeText = context.parameters["tic_scope"] ?? "1"
        guard let scope = Int(scopeText), scope > 0 else {
            throw BrokerHubError(.invalidArgument, "\(transaction.rawValue): tic_scope \"\(scopeText)\" is not a positive number")
        }
        switch transaction {
        case .dailyChart, .quote: return .day
        case .minuteChart: return CandleInterval(scope, .minute)
        case .tickChart: return CandleInterval(scope, .tick)
        }
    }

    /// `stk_cd` of the body (account-style `A005930` trimmed), else of the request.
    static func symbolOf(_ body: JSONValue, row: FieldReader, _ context: NormalizationContext, transaction: KiwoomTransaction) throws -> String {
        if let code = try row.optionalText("stk_cd") { return normalizedSymbol(code) }
        if let code = context.parameters["stk_cd"], !code.isEmpty { return normalizedSymbol(code) }
        throw BrokerHubError(.invalidArgument, "\(transaction.rawValue): the body does not name the symbol; the request's stk_cd is needed")
    }

    /// Kiwoom's `A005930` as `005930` (an `A` and six ASCII digits); any other code as it is.
    public static func normalizedSymbol(_ code: String) -> String {
        let utf8 = code.utf8
        guard utf8.count == 7, utf8.first == UInt8(ascii: "A"), utf8.dropFirst().allSatisfy({ $0 &- 48 < 10 }) else { return code }
        return String(code.utf8.dropFirst())!
    }

    static func notFound(_ transaction: KiwoomTransaction, symbol: String) -> BrokerHubError {
        BrokerHubError.broker(BrokerFailure(
            provider: .kiwoom, category: .notFound, httpStatus: 200, code: nil,
            message: "\(transaction.rawValue): symbol \(symbol) not found (cur_prc empty or 0)"
        ))
    }
}
