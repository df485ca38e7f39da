import BrokerCore
import Foundation
import HubEngine

/// One hub call of a cycle: which TR, with which parameters, for which symbols, at which priority.
public struct SnapshotCall: Sendable, Hashable {
    public var provider: Provider
    public var transaction: String
    public var parameters: [String: String]
    /// The symbols the call asks for (an answer without one of them counts it as unknown).
    public var symbols: [String]
    public var priority: Priority

    public init(provider: Provider, transaction: String, parameters: [String: String], symbols: [String], priority: Priority) {
        self.provider = provider
        self.transaction = transaction
        self.parameters = parameters
        self.symbols = symbols
        self.priority = priority
    }
}

/// The calls of one cycle, pure. Swing: KIS's multi-symbol FHKST11300006 (30 symbols a call, so ~2,700
/// symbols are 90 calls) or Kiwoom's ka10001 per symbol (the Kiwoom sheet names no multi-symbol quote), at
/// `snapshot` priority. Scalp: single-symbol quotes (FHKST01010100, ka10001) at `interactive` priority.
public enum SnapshotPlan {
    /// Symbols per FHKST11300006 call (the broker's maximum).
    public static let multiQuoteBatch = 30

    public static func calls(mode: ObservationSnapshot.Mode, provider: Provider, symbols: [String]) -> [SnapshotCall] {
        switch (mode, provider) {
        case (.swing, .kis):
            return stride(from: 0, to: symbols.count, by: multiQuoteBatch).map { start in
                let batch = Array(symbols[start..<min(start + multiQuoteBatch, symbols.count)])
                return SnapshotCall(
                    provider: .kis, transaction: "FHKST11300006", parameters: ["symbols": batch.joined(separator: ",")],
                    symbols: batch, priority: .snapshot
                )
            }
        case (.scalp, .kis):
            return symbols.map {
                SnapshotCall(provider: .kis, transaction: "FHKST01010100", parameters: ["FID_INPUT_ISCD": $0], symbols: [$0], priority: .interactive)
            }
        case (_, .kiwoom):
            let priority: Priority = mode == .swing ? .snapshot : .interactive
            return symbols.map { SnapshotCall(provider: .kiwoom, transaction: "ka10001", parameters: ["stk_cd": $0], symbols: [$0], priority: priority) }
        }
    }

    /// The calls per second a schedule of `provider` is measured against: KIS's real-account limit, Kiwoom's
    /// per-api-id limit (ka10001, never above the key's total).
    public static func budgetPerSecond(_ provider: Provider, limits: RateLimitPolicy) -> Double {
        provider == .kis ? Double(limits.kisRealPerSecond) : Double(min(limits.kiwoomPerTransactionPerSecond, limits.kiwoomTotalPerSecond))
    }

    /// The codes of a symbol list file: one a line, `#` starting a comment, blanks skipped.
    public static func symbols(in text: String) -> [String] {
        text.split(whereSeparator: \.isNewline)
            .map { ($0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "").trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// Broker calls per second a schedule asks for on average: calls per cycle / interval.
    public static func callsPerSecond(mode: ObservationSnapshot.Mode, provider: Provider, symbols: Int, interval: Duration) -> Double {
        let perCycle = mode == .swing && provider == .kis ? (symbols + multiQuoteBatch - 1) / multiQuoteBatch : symbols
        return Double(perCycle) / max(interval.timeInterval, 0.001)
    }
}
