import Alerts
import ArgumentParser
import Foundation
import HubServer
import Logging
import ServiceLifecycle

/// `brokerhub alerts`: alerts that reach a person — the bus's `system` channel through the alert policy to
/// a webhook, a log file and/or standard output.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Deliver the pipeline's alerts to a webhook (Slack-compatible or JSON), a log file or stdout until SIGTERM.",
        discussion: """
        Listens to the bus's system channel (every alert a collector or archiver raises). One page per incident \
        (kind + provider + symbol), a reminder while it keeps coming (--reminder-minutes), a resolved message when \
        it has been quiet for --resolve-minutes; at most --pages-per-kind new incidents of one kind an hour, the rest \
        counted in the next notice. A webhook that is down is retried with backoff (1, 2, 4 … 60 s, 8 attempts) \
        without holding anything up. Metrics: brokerhub_alerts_*.
        """
    )

    @Option(help: "The bus: journal:PATH or redis://host:port/db.")
    var bus: String

    @Option(help: "POST notices to this webhook URL (default: BROKERHUB_ALERT_WEBHOOK_URL; a Slack URL is a secret, prefer the variable).")
    var webhook: String?

    /// `--webhook`, or the environment's.
    var webhookURL: String? { webhook ?? ProcessInfo.processInfo.environment["BROKERHUB_ALERT_WEBHOOK_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    @Option(help: "Webhook body: slack ({\"text\": …}) or json (every field).")
    var webhookFormat: String = "slack"

    @Option(help: "Append notices as JSON lines to this file.")
    var logFile: String?

    @Flag(help: "Print notices as text lines on standard output.")
    var stdout = false

    @Option(help: "Send only notices at least this severe: info, warning, critical (resolved messages are info).")
    var minSeverity: String = "info"

    @Option(help: "Minutes between reminders of an incident that keeps coming.")
    var reminderMinutes: Double = 30

    @Option(help: "Minutes an incident must be quiet to be resolved.")
    var resolveMinutes: Double = 10

    @Option(help: "New incidents of one kind paged per hour.")
    var pagesPerKind: Int = 5

    @Option(name: [.customLong("http-port"), .customLong("metrics-port")], help: "Serve /health, /ready and /metrics on this loopback port (0: any free port).")
    var httpPort: Int?

    @Option(help: "Address of the /health, /ready and /metrics endpoint (0.0.0.0 in a container, for Prometheus).")
    var httpHost: String = "127.0.0.1"

    @Option(help: "Write the operations endpoint's URL (or 'ready') to this file once alerts are listened for.")
    var readyFile: String?

    @Option(help: "Stop after this many seconds (default: run until SIGTERM/SIGINT).")
    var duration: Double?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: BROKERHUB_LOG_LEVEL or info).")
    var logLevel: String?

    func validate() throws {
        guard webhookURL != nil || logFile != nil || stdout else {
            throw ValidationError("name at least one sink: --webhook URL (or BROKERHUB_ALERT_WEBHOOK_URL), --log-file PATH or --stdout")
        }
        guard WebhookAlertSink.Format(rawValue: webhookFormat) != nil else { throw ValidationError("--webhook-format is slack or json") }
        guard AlertSeverity(rawValue: minSeverity) != nil else { throw ValidationError("--min-severity is info, warning or critical") }
        guard reminderMinutes > 0, resolveMinutes > 0, pagesPerKind > 0, reminderMinutes <= 10_080, resolveMinutes <= 10_080 else {
            throw ValidationError("--reminder-minutes, --resolve-minutes (at most a week) and --pages-per-kind must be positive")
        }
        if let webhook = webhookURL {
            guard let url = URL(string: webhook), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw ValidationError("the webhook must be an http(s) URL")
            }
        }
    }

    func run() async throws {
        HubMetrics.bootstrap()  // before any metric is created, so that /metrics sees them all
        let logger = try ProcessRunner.logger(label: "brokerhub.alerts", level: logLevel)
        let opened = try ProcessRunner.openBus(bus, logger: logger)
        var delivery = AlertDeliverer.Settings()
        delivery.minimumSeverity = AlertSeverity(rawValue: minSeverity) ?? .info
        var sinks: [any AlertSink] = []
        if let webhook = webhookURL { sinks.append(WebhookAlertSink(url: webhook, format: WebhookAlertSink.Format(rawValue: webhookFormat) ?? .slack)) }
        if let logFile { sinks.append(FileAlertSink(path: logFile)) }
        if stdout { sinks.append(FileAlertSink.standardOutput) }
        var settings = AlertService.Settings()
        settings.policy.reminderInterval = .milliseconds(Int64(reminderMinutes * 60_000))
        settings.policy.resolveAfter = .milliseconds(Int64(resolveMinutes * 60_000))
        settings.policy.pagesPerKind = pagesPerKind
        let service = AlertService(
            bus: opened.bus, deliverers: sinks.map { AlertDeliverer(sink: $0, settings: delivery, logger: logger) }, settings: settings, logger: logger
        )
        logger.info("delivering alerts", metadata: ["alerts.sinks": "\(sinks.map(\.name).joined(separator: ","))", "alerts.bus": "\(bus)"])
        var services: [any Service] = opened.services + [service]
        if let httpPort {
            services.append(WorkerHTTPServer.endpoint(host: httpHost, port: httpPort, what: "alerts", readyFile: readyFile, logger: logger) {
                service.isListening ? nil : "not listening to the bus"
            })
        } else if let readyFile {
            try? Data("ready\n".utf8).write(to: URL(fileURLWithPath: readyFile))
        }
        try await ProcessRunner.run(services, drainSeconds: 5, duration: duration, logger: logger)
    }
}
