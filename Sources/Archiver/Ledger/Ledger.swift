import Foundation
import Metrics
import Realtime

/// The end-to-end ledger: what the bus says was published against what the sink says it stored, per provider,
/// channel and symbol.
///
/// Gauges (`record(_:)`): `brokerhub_ledger_published`, `brokerhub_ledger_stored` and `brokerhub_ledger_missing`
/// are labelled by provider and channel only — symbols would make the label set as large as the watch list
/// (thousands of series); the per-symbol breakdown is in `brokerhub ledger status` (table or JSON).
public struct Ledger: Sendable {
    private let bus: any EventBus
    private let sink: any ArchiveSink

    public init(bus: any EventBus, sink: any ArchiveSink) {
        self.bus = bus
        self.sink = sink
    }

    /// Reads both sides now. Stored is read after published, so events in flight show as missing, never as extra.
    public func report() async throws -> LedgerReport {
        let published = try await bus.publishedCounts()
        let stored = try await sink.storedCounts()
        return LedgerReport(published: published, stored: stored)
    }

    /// Sets the ledger gauges from a report (per provider and channel).
    public static func record(_ report: LedgerReport) {
        for total in report.channelTotals {
            let dimensions = [("provider", total.provider), ("channel", total.channel.rawValue)]
            Gauge(label: "brokerhub_ledger_published", dimensions: dimensions).record(total.published)
            Gauge(label: "brokerhub_ledger_stored", dimensions: dimensions).record(total.stored)
            Gauge(label: "brokerhub_ledger_missing", dimensions: dimensions).record(total.missing)
        }
    }
}
