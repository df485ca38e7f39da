import BrokerCore
import Foundation

/// What a normaliser knows besides the body: when it arrived and what was asked.
public struct NormalizationContext: Sendable {
    /// When the answer arrived; also the time of records that carry none (REST quotes).
    public var receivedAt: Date
    /// The request's parameters (query or body), looked up case-insensitively.
    public var parameters: RequestParameters
    /// Overrides the records' provenance (e.g. `.backfill` for a backfill job).
    public var sourceType: SourceType?
    /// The trading date of records that carry only a time of day; defaults to the KST date of `receivedAt`.
    public var tradingDate: KSTDate?

    public init(
        receivedAt: Date = Date(), parameters: RequestParameters = [:], sourceType: SourceType? = nil, tradingDate: KSTDate? = nil
    ) {
        self.receivedAt = receivedAt
        self.parameters = parameters
        self.sourceType = sourceType
        self.tradingDate = tradingDate
    }

    /// The date to attach to a time of day.
    public var effectiveTradingDate: KSTDate { tradingDate ?? KSTDate(receivedAt) }
}

/// Request parameters with case-insensitive names (`FID_INPUT_ISCD` and `fid_input_iscd` are one).
public struct RequestParameters: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    private var storage: [String: String] = [:]

    public init(_ values: [String: String]) {
        for (name, value) in values { self[name] = value }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { self[name] = value }
    }

    public subscript(name: String) -> String? {
        get { storage[name.lowercased()] }
        set { storage[name.lowercased()] = newValue }
    }

    /// Names (lower-cased) and values.
    public var all: [String: String] { storage }
}

/// The records read from one answer, plus the rows deliberately skipped (never silently).
public struct NormalizedBatch: Sendable {
    public var records: [MarketRecord]
    public var skipped: [SkippedRow]

    public init(records: [MarketRecord] = [], skipped: [SkippedRow] = []) {
        self.records = records
        self.skipped = skipped
    }
}

/// A row that carried no record (an empty `{}` placeholder, an unknown symbol in a multi-quote).
public struct SkippedRow: Sendable, Hashable, CustomStringConvertible {
    public var record: Int
    public var reason: String

    public init(record: Int, reason: String) {
        self.record = record
        self.reason = reason
    }

    public var description: String { "record \(record): \(reason)" }
}
