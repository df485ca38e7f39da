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
/// all in the demo's data directory. The collector runs in its own service group so it can stop first; the bus
/// and the archiver keep running until the archiver has drained.
final class DemoRealtime: Sendable {
    let bus: JournalEventBus
    let sink: SQLiteArchiveSink
    let archiver: Archiver
    let collector: Collector
    private let pipelineGroup: ServiceGroup
    private let collectorGroup: ServiceGroup
    private let collectorStopped: AsyncStream<Void>
    private let collectorStoppedContinuation: AsyncStream<Void>.Continuation

    /// - Parameters:
    ///   - tickers: KIS symbols collected as ticks and order books.
    ///   - kiwoomTickers: Kiwoom symbols collected as trades (`0B`).
    ///   - tokens: the hub's token manager, so the collector shares its Kiwoom token (one token per key).
    init(
        dataDirectory: String, mockURL: String, accounts: [BrokerAccount], tickers: [String], kiwoomTickers: [String],
        tokens: TokenManager, logger: Logger
    ) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        var busConfiguration = JournalEventBusConfiguration(path: dataDirectory + "/bus.sqlite")
        busConfiguration.groups = ["archiver"]
        bus = try JournalEventBus(configuration: busConfiguration, logger: logger)
        sink = try SQLiteArchiveSink(path: dataDirectory + "/archive.sqlite")
        archiver = Archiver(
            bus: bus, sink: sink, spool: try ArchiveSpool(directory: URL(fileURLWithPath: dataDirectory + "/spool")), logger: logger
        )

        var configuration = CollectorConfiguration()
        configuration.accounts = accounts
        configuration.useMockBroker(base: mockURL)
        configuration.marketOpen = { _ in true }
        configuration.want(.kis, channels: [.ticker, .orderbook], symbols: tickers)
        configuration.want(.kiwoom, channels: [.ticker], symbols: kiwoomTickers)
        collector = Collector(configuration: configuration, bus: bus, credential: CredentialSource.tokens(tokens), logger: logger)

        pipelineGroup = ServiceGroup(configuration: .init(services: [.init(service: bus), .init(service: archiver)], logger: logger))
        collectorGroup = ServiceGroup(configuration: .init(services: [.init(service: collector)], logger: logger))
        (collectorStopped, collectorStoppedContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    /// Runs the bus and the archiver until `shutdown()`.
    func runPipeline() async throws {
        try await pipelineGroup.run()
    }

    /// Runs the collector until `stopCollector()`.
    func runCollector() async throws {
        defer { collectorStoppedContinuation.finish() }
        try await collectorGroup.run()
    }

    /// Stops the collector (unsubscribe, close, flush its buffer to the bus) and waits until it has.
    func stopCollector() async {
        await collectorGroup.triggerGracefulShutdown()
        for await _ in collectorStopped {}
    }

    /// Polls the ledger until everything published is stored or `timeout` seconds have passed; the last report.
    func drain(timeout: Double) async -> LedgerReport? {
        let ledger = Ledger(bus: bus, sink: sink)
        let deadline = Date().addingTimeInterval(timeout)
        var report = try? await ledger.report()
        while Date() < deadline, report.map({ $0.totalStored < $0.totalPublished }) ?? true {
            try? await Task.sleep(for: .milliseconds(200))
            report = try? await ledger.report()
        }
        return report
    }

    /// Stops the archiver, then the bus.
    func shutdown() async {
        await pipelineGroup.triggerGracefulShutdown()
    }

    /// Events the collector published so far.
    var published: Int { collector.stats.snapshot.published }

    /// Rows the archiver stored so far.
    var stored: Int { archiver.statistics.rowsInserted }
}
