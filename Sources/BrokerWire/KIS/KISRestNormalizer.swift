import BrokerCore
import Foundation

/// Turns KIS REST answers into BrokerHub records, handling every documented quirk:
/// `prdy_vrss_sign`, newest-first rows, empty `{}` rows in `output2`, unknown symbols reported as
/// `stck_prpr:"0"`, trading-halt days, placeholder rows in the multi-symbol quote.
public enum KISRestNormalizer {
    /// Normalises one answer of `trID`. Throws a broker error when the envelope reports one,
    /// `.notFound` for an unknown symbol, and `.malformedPayload` naming TR, record and field otherwise.
    public static func normalize(
        trID: String, body: JSONValue, httpStatus: Int = 200, context: NormalizationContext
    ) throws -> NormalizedBatch {
        if let failure = KISEnvelope.failure(httpStatus: httpStatus, body: body) {
            throw BrokerHubError.broker(failure)
        }
        guard let transaction = KISTransaction(rawValue: trID.uppercased()) else {
            throw BrokerHubError(.unsupportedTransaction, "KIS TR \(trID) is not supported; supported: \(KISTransaction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard body.objectValue != nil else {
            throw BrokerHubError.malformed(transaction.rawValue, "expected a JSON object body")
        }
        switch transaction {
        case .quote: return try quote(body, context)
        case .dailyPrice: return try dailyPrice(body, context)
        case .periodChart: return try periodChart(body, context)
        case .minuteChart, .pastMinuteChart: return try minuteChart(transaction, body, context)
        case .recentTrades: return try recentTrades(body, context)
        case .multiQuote: return try multiQuote(body, context)
        }
    }

    /// Normalises raw body bytes; unreadable JSON is a `.malformedPayload` error naming the TR.
    public static func normalize(trID: String, body: [UInt8], httpStatus: Int = 200, context: NormalizationContext) throws -> NormalizedBatch {
        try normalize(trID: trID, body: try parseBody(body, transaction: trID), httpStatus: httpStatus, context: context)
    }

    static func parseBody(_ body: [UInt8], transaction: String) throws -> JSONValue {
        do {
            return try JSONParser.parse(body)
        } catch {
            throw BrokerHubError(.malformedPayload, "\(transaction): body is not valid JSON: \(error)", underlying: error)
        }
    }

    static func notFound(_ transaction: KISTransaction, symbol: String?) -> BrokerHubError {
        let failure = BrokerFailure(
            provider: .kis, category: .notFound, httpStatus: 200, code: nil,
            message: "\(transaction.rawValue): symbol \(symbol ?? "?") not found (stck_prpr \"0\")"
        )
        return BrokerHubError.broker(failure)
    }

    /// The symbol a TR was asked about, for bodies that do not name it.
    static func requestedSymbol(_ transaction: KISTransaction, _ context: NormalizationContext) throws -> String {
        guard let symbol = context.parameters["FID_INPUT_ISCD"], !symbol.isEmpty else {
            throw BrokerHubError(
                .invalidArgument,
                "\(transaction.rawValue): the body does not name the symbol; the request's FID_INPUT_ISCD is needed"
            )
        }
        return symbol
    }

    /// The candle interval from `FID_PERIOD_DIV_CODE` (D, W, M, Y; default D).
    static func periodInterval(_ transaction: KISTransaction, _ context: NormalizationContext) throws -> CandleInterval {
        switch (context.parameters["FID_PERIOD_DIV_CODE"] ?? "D").uppercased() {
        case "D": return .day
        case "W": return .week
        case "M": return .month
        case "Y" where transaction == .periodChart: return .year
        case let other:
            throw BrokerHubError(.invalidArgument, "\(transaction.rawValue): FID_PERIOD_DIV_CODE \"\(other)\" is not one of D, W, M\(transaction == .periodChart ? ", Y" : "")")
        }
    }

    /// The rows of an array member, as readers; `{}`/blank rows are reported as skipped.
    static func rows(
        _ body: JSONValue, member: String, transaction: KISTransaction, skipped: inout [SkippedRow]
    ) throws -> [FieldReader] {
        guard let value = body[member] else { throw BrokerHubError.malformed(transaction.rawValue, field: member, "missing") }
        if case .null = value { return [] }
        guard let elements = value.arrayValue else {
            throw BrokerHubError.malformed(transaction.rawValue, field: member, "expected an array")
        }
        var readers: [FieldReader] = []
        readers.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            let reader = try FieldReader(transaction: transaction.rawValue, record: index, value: element, name: member)
            if reader.isBlank {
                skipped.append(SkippedRow(record: index, reason: "empty row in \(member)"))
            } else {
                readers.append(reader)
            }
        }
        return readers
    }
}
