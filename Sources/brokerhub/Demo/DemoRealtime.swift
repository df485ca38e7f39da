import Archiver
import BrokerClients
import BrokerCore
import Collector
import Foundation
import HubServer
import HubEngine
import Logging
import Realtime
import ServiceLifecycle

/// The demo's realtime pipeline: a collector on the mock's WebSockets → a journal bus → an archiver into SQLite,
/// all in the demo's data directory, built by the same composition roots as `collect` and `archive`. Its services
/// run in the demo's one service group; the collector may finish first (`stopCollector()`), so that the archiver
/// can drain what it published before the group shuts down.
final class DemoRealtime: Sendable {
    let bus: EventBusSpecification.Opened
    let archiving: ArchiverApplication
    let collecting: CollectorApplication
    let logger: Logger
    private let collectorFinished: AsyncStream<Void>
    private let collectorFinishedContinuation: AsyncStream<Void>.Continuation

    /// - Parameters:
    ///   - tickers: KIS symbols collected as ticks and order books.
    ///   - kiwoomTickers: Kiwoom symbols collected as trades (`0B`).
    ///   - tokens: the hub's token manager, so the collector shares its Kiwoom token (one token per key).
    ///   - bus: the journal bus in `dataDirectory`, opened by the caller (the hub streams from it too).
    init(
        dataDirectory: String, bus: EventBusSpecification.Opened, mockURL: String, accounts: [BrokerAccount], tickers: [String],
        kiwoomTickers: [String], tokens: TokenManager, logger: Logger
    ) throws {
        self.bus = bus
        self.logger = logger
        archiving = try ArchiverApplication(bus: bus.bus, sink: "sqlite:" + dataDirectory + "/archive.sqlite", spool: dataDirectory + "/spool", logger: logger)

        var configuration = CollectorConfiguration()
        configuration.accounts = accounts
        configuration.useMockBroker(base: mockURL)
        configuration.marketOpen = { _ in true }
        configuration.want(.kis, channels: [.ticker, .orderbook], symbols: tickers)
        configuration.want(.kiwoom, channels: [.ticker], symbols: kiwoomTickers)
        collecting = CollectorApplication(configuration: configuration, bus: bus.bus, credential: CredentialSource.tokens(tokens), logger: logger)
        (collectorFinished, collectorFinishedContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    /// The bus and the archiver: started before the hub, stopped after it.
    var pipelineServices: [any Service] { bus.services + archiving.services }

    /// The collector, last in the group (stopped first); it may return before the group ends.
    var collectorServices: [ServiceGroupConfiguration.ServiceConfiguration] {
        collecting.services.map { service in
            .init(service: Finishing(service: service, finished: collectorFinishedContinuation), successTerminationBehavior: .ignore)
        }
    }

    /// Stops the collector (unsubscribe, close, flush its buffer to the bus) and waits until it has.
    func stopCollector() async {
        collecting.collector.stop()
        for await _ in collectorFinished {}
    }

    /// Polls the ledger until everything published is stored or `timeout` seconds have passed; the last report.
    func drain(timeout: Double) async -> LedgerReport? {
        let ledger = Ledger(bus: bus.bus, sink: archiving.sink)
        let deadline = Date().addingTimeInterval(timeout)
        var report = try? await ledger.report()
        while Date() < deadline, report.map({ $0.totalStored < $0.totalPublished }) ?? true {
            try? await Task.sleep(for: .milliseconds(200))
            report = try? await ledger.report()
        }
        return report
    }

    /// Events the collector published so far.
    var published: Int { collecting.collector.stats.snapshot.published }

    /// Rows the archiver stored so far.
    var stored: Int { archiving.archiver.statistics.rowsInserted }

    /// Runs a service and says when it has returned.
    private struct Finishing: Service {
        let service: any Service
        let finished: AsyncStream<Void>.Continuation

        func run() async throws {
            defer { finished.finish() }
            try await service.run()
        }
    }
}
