import Realtime

extension LedgerKey {
    /// What marks a stored count as backfilled: its provider carries this suffix (`kis+backfill`).
    static let backfillSuffix = "+backfill"

    /// The count row beside this one for what `brokerhub backfill` recovered after the fact.
    public var backfill: LedgerKey {
        LedgerKey(provider: provider + Self.backfillSuffix, channel: channel, symbol: symbol)
    }

    /// The realtime row a backfill count belongs to; nil for a realtime row.
    var backfilledRow: LedgerKey? {
        guard provider.hasSuffix(Self.backfillSuffix) else { return nil }
        return LedgerKey(provider: String(provider.dropLast(Self.backfillSuffix.count)), channel: channel, symbol: symbol)
    }
}
