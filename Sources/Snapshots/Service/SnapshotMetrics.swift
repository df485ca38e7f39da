import BrokerCore
import Metrics

/// The snapshot collector's counters (Prometheus names; see docs/snapshots.md):
/// `brokerhub_snapshot_collected_total{provider,mode}`, `brokerhub_snapshot_rejected_total{provider,mode,reason}`,
/// `brokerhub_snapshot_calls_failed_total{provider,mode}`, `brokerhub_snapshot_cycle_seconds{mode}` (timer),
/// `brokerhub_snapshot_cycle_lag_seconds{mode}`, `brokerhub_snapshot_cycles_overrun_total{mode}`,
/// `brokerhub_snapshot_files_rolled_total{archive}`, `brokerhub_snapshot_bytes_written_total{archive}`,
/// `brokerhub_snapshot_archive_errors_total{mode}`.
struct SnapshotMetrics: Sendable {
    let provider: Provider
    let mode: ObservationSnapshot.Mode

    private var labels: [(String, String)] { [("provider", provider.rawValue), ("mode", mode.rawValue)] }

    func collected(_ count: Int) {
        guard count > 0 else { return }
        Counter(label: "brokerhub_snapshot_collected_total", dimensions: labels).increment(by: count)
    }

    func rejected(_ reason: SnapshotRejection.Reason) {
        Counter(label: "brokerhub_snapshot_rejected_total", dimensions: labels + [("reason", reason.rawValue)]).increment()
    }

    func failedCall() {
        Counter(label: "brokerhub_snapshot_calls_failed_total", dimensions: labels).increment()
    }

    func archiveError() {
        Counter(label: "brokerhub_snapshot_archive_errors_total", dimensions: [("mode", mode.rawValue)]).increment()
    }

    func cycle(_ report: SnapshotSchedule.CycleReport) {
        let dimensions = [("mode", mode.rawValue)]
        Timer(label: "brokerhub_snapshot_cycle_seconds", dimensions: dimensions).recordNanoseconds(Int64(max(0, report.duration) * 1e9))
        Gauge(label: "brokerhub_snapshot_cycle_lag_seconds", dimensions: dimensions).record(max(0, report.lag))
        if report.overran { Counter(label: "brokerhub_snapshot_cycles_overrun_total", dimensions: dimensions).increment() }
    }

    func archive(_ name: String, before: JSONLArchive.Statistics, after: JSONLArchive.Statistics) {
        let dimensions = [("archive", name)]
        if after.filesRolled > before.filesRolled {
            Counter(label: "brokerhub_snapshot_files_rolled_total", dimensions: dimensions).increment(by: after.filesRolled - before.filesRolled)
        }
        if after.bytes > before.bytes {
            Counter(label: "brokerhub_snapshot_bytes_written_total", dimensions: dimensions).increment(by: after.bytes - before.bytes)
        }
    }
}
