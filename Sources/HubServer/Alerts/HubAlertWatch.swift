import Alerts
import BrokerCore
import HubEngine
import Logging
import ServiceLifecycle

/// Alerts of the hub's own state inside `serve` (with `BROKERHUB_ALERT_WEBHOOK_URL` or `_ALERT_LOG_FILE`):
/// every `interval` it reads `Hub.snapshot()`, raises each incident `HubAlertProbe` finds (a repeat is counted by
/// the policy, not paged) and resolves the ones it found last time and no longer does.
struct HubAlertWatch: Service {
    let hub: Hub
    let alerts: AlertService
    let queueLimit: Int
    let interval: Duration
    let clock: any HubClock
    let logger: Logger

    func run() async throws {
        var active: Set<AlertIncident> = []
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: interval) }
            } catch {
                return
            }
            let status: HubStatus
            do {
                status = try await hub.snapshot()
            } catch {
                logger.warning("hub status not read for alerts", metadata: ["error.message": "\(error)"])
                continue
            }
            let found = HubAlertProbe.incidents(in: status, queueLimit: queueLimit, now: clock.now)
            for incident in found.keys.sorted() { alerts.raise(incident, message: found[incident] ?? "") }
            for incident in active.subtracting(found.keys).sorted() { alerts.resolve(incident) }
            active = Set(found.keys)
        }
    }
}
