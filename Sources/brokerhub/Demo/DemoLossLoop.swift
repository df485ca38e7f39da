import Archiver
import AsyncHTTPClient
import BrokerClients
import BrokerCore
import Collector
import Foundation
import History
import HubEngine
import Logging
import Realtime
import ServiceLifecycle

/// The demo's loss loop (`brokerhub verify` and `backfill` in one process): after the load, a collector that follows
/// the market clock (the mock's stream mode off) collects fresh symbols, is cut for a while and comes back; the
/// archive catches up; verification names the minutes the cut lost, backfill recovers them through the hub, and a
/// second verification is clean.
struct DemoLossLoop: Sendable {
    let bus: any EventBus
    let store: any ArchiveSink
    let hub: Hub
    let mockURL: String
    let accounts: [BrokerAccount]
    let tokens: TokenManager
    let symbols: [String]
    let logger: Logger
    /// The mock's trading day (its market clock may be a day behind the wall clock).
    let marketDay: @Sendable () -> KSTDate
    /// Wall seconds collected before and after the cut, and of the cut (the mock runs at 10×: 12 s lose 2 minutes).
    var collect: Double = 15
    var cut: Double = 12

    func run(drain: () async -> LedgerReport?) async -> Bool {
        print("  loss loop")
        do {
            var request = HTTPClientRequest(url: mockURL + "/_mock/realtime")
            request.method = .POST
            request.body = .bytes(Array(#"{"stream_rate":0}"#.utf8))
            _ = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            print("    collecting \(symbols.joined(separator: ",")) (KIS ticks, following the market clock) \(Int(collect)) s, cut \(Int(cut)) s, again \(Int(collect)) s")
            try await collectOnce()
            try await Task.sleep(for: .seconds(cut))
            try await collectOnce()
            _ = await drain()
            let day = marketDay()
            let source = HubHistorySource(hub: hub)
            let options = Verifier.Options(provider: .kis, day: day, symbols: symbols, from: .firstTrade, to: .lastTrade)
            let verifier = Verifier(source: source, store: store, logger: logger)
            let found = try await verifier.run(options)
            let t = found.totals
            print("    gap found         \(t.gaps) of \(t.checked) minutes (\(found.from)–\(found.to) on \(found.day)): "
                + "\(t.missing) missing, \(t.short) short; \(t.missingVolume) shares not stored")
            for symbol in found.symbols {
                for finding in symbol.findings {
                    print("                      \(symbol.symbol) \(finding.minute) \(finding.status.rawValue), \(finding.missingVolume) shares")
                }
            }
            let summary = try await Backfiller(source: source, store: store, logger: logger).run(found)
            print("    recovered         \(summary.candlesInserted) minute candles (source_type backfill), \(summary.tradesRecovered) trades (KIS serves only its last 30)")
            let verified = try await verifier.run(options)
            let v = verified.totals
            print("    verified          \(verified.isClean ? "clean" : "GAPS"): \(v.complete) minutes complete from the ticks, \(v.backfilled) rest on a backfilled candle "
                + "(\(v.unrecoveredVolume) shares whose trades could not be recovered)")
            let passed = t.missing + t.short > 0 && verified.isClean && summary.candlesInserted == t.gaps
            print(passed ? "    ✔ gap found → recovered → verified" : "    ✘ expected a gap, its recovery and a clean verification")
            return passed
        } catch {
            print("    ✘ the loss loop failed: \(error)")
            return false
        }
    }

    /// Runs a collector for `collect` seconds, then stops it (unsubscribes, flushes to the bus).
    private func collectOnce() async throws {
        var configuration = CollectorConfiguration()
        configuration.accounts = accounts
        configuration.useMockBroker(base: mockURL)
        configuration.marketOpen = { _ in true }
        configuration.want(.kis, channels: [.ticker], symbols: symbols)
        let application = CollectorApplication(configuration: configuration, bus: bus, credential: CredentialSource.tokens(tokens), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in application.services { group.addTask { try await service.run() } }
            try await Task.sleep(for: .seconds(collect))
            application.collector.stop()
            try await group.waitForAll()
        }
    }
}
