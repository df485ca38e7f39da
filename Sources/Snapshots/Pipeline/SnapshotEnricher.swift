import BrokerCore

/// The third pipeline stage, pure: derived fields from a snapshot and the symbol's previous one — spread and
/// mid, change and volume since the previous snapshot, position in the day's range, turnover rate.
public enum SnapshotEnricher {
    public static func enrich(_ snapshot: ObservationSnapshot, previous: ObservationSnapshot?) -> ObservationSnapshot {
        var derived = ObservationSnapshot.Derived()
        if let ask = snapshot.askPrice, let bid = snapshot.bidPrice, ask > 0, bid > 0 {
            derived.spread = ask - bid
            // (ask + bid) / 2 exactly: tenths of a won.
            derived.mid = FixedDecimal(mantissa: (ask + bid) * 5, scale: 1)
        }
        if let previous {
            derived.changeSincePrevious = snapshot.price - previous.price
            // A new session resets the accumulated volume: no difference across it.
            if snapshot.volume >= previous.volume { derived.volumeSincePrevious = snapshot.volume - previous.volume }
        }
        if snapshot.high > snapshot.low, snapshot.low > 0 {
            let (scaled, overflow) = (snapshot.price - snapshot.low).multipliedReportingOverflow(by: 10_000)
            if !overflow { derived.rangePosition = FixedDecimal(mantissa: scaled / (snapshot.high - snapshot.low), scale: 4) }
        }
        if let listed = snapshot.listedShares, listed > 0 {
            // Percent with four decimals: volume × 100 × 10⁴ / listed.
            let (scaled, overflow) = snapshot.volume.multipliedReportingOverflow(by: 1_000_000)
            if !overflow { derived.turnoverRate = FixedDecimal(mantissa: scaled / listed, scale: 4) }
        }
        var enriched = snapshot
        enriched.derived = derived
        return enriched
    }
}
