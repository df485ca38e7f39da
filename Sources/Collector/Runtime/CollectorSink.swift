import BrokerCore
import Foundation
import Logging
import Realtime

/// Where sessions hand their results: market data and alerts into the event buffer, unusable frames into
/// the raw-frame log, every figure into the stats and metrics.
final class CollectorSink: Sendable {
    /// Where ticks and books queue for the bus; nil when the collector publishes nothing (a gateway-only hub).
    let buffer: EventBuffer?
    /// Sees every text frame a session receives, before it is parsed (the realtime gateway's fan-out).
    let frameTap: (@Sendable (String, Provider) -> Void)?
    let stats: CollectorStats
    let rawLog: RawFrameLogger?
    let logger: Logger
    private let metrics = CollectorMetrics()

    init(buffer: EventBuffer?, frameTap: (@Sendable (String, Provider) -> Void)?, stats: CollectorStats, rawLog: RawFrameLogger?, logger: Logger) {
        self.buffer = buffer
        self.frameTap = frameTap
        self.stats = stats
        self.rawLog = rawLog
        self.logger = logger
    }

    func frame(_ provider: Provider) {
        metrics.frame(provider)
        stats.update { $0.frames[provider, default: 0] += 1 }
    }

    /// Hands a received text frame to the tap, if any.
    @inline(__always)
    func forward(_ text: String, provider: Provider) {
        frameTap?(text, provider)
    }

    /// Queues ticks and order books for the bus (waits only while the buffer is full).
    func records(_ records: [MarketRecord], provider: Provider, receivedAt: Date) async {
        var items: [EventBuffer.Item] = []
        items.reserveCapacity(records.count)
        var ticks = 0
        for record in records {
            switch record {
            case .tick(let tick):
                ticks += 1
                items.append(.init(channel: .ticker, provider: provider, symbol: tick.symbol, receivedAt: receivedAt, payload: .tick(tick)))
            case .orderBook(let book):
                items.append(.init(channel: .orderbook, provider: provider, symbol: book.symbol, receivedAt: receivedAt, payload: .orderBook(book)))
            case .candle, .quote:
                continue
            }
        }
        if ticks > 0 { metrics.records(provider, channel: "ticker", count: ticks) }
        if items.count > ticks { metrics.records(provider, channel: "orderbook", count: items.count - ticks) }
        stats.update { $0.records[provider, default: 0] += items.count }
        await buffer?.append(items)
    }

    /// Logs, counts and publishes an alert on the `system` channel.
    func alert(_ kind: String, _ message: String, provider: Provider?, symbol: String? = nil, session: String?, at: Date) async {
        metrics.alert(kind)
        stats.update { $0.alerts[kind, default: 0] += 1 }
        var metadata: Logger.Metadata = ["collector.alert": "\(kind)"]
        if let session { metadata["collector.session"] = "\(session)" }
        logger.warning("\(message)", metadata: metadata)
        let alert = RealtimeAlert(kind: kind, message: message, provider: provider, symbol: symbol, at: at)
        await buffer?.append([.init(channel: .system, provider: provider ?? .kis, symbol: kind, receivedAt: at, payload: .alert(alert))])
    }

    func malformed(_ provider: Provider, session: String, raw: String, reason: String, at: Date) {
        metrics.malformed(provider, kind: "malformed")
        stats.update { $0.malformed += 1 }
        logger.debug("malformed frame", metadata: ["collector.session": "\(session)", "collector.reason": "\(reason.prefix(200))"])
        keep(provider, session: session, raw: raw, note: "malformed: \(reason.prefix(200))", at: at)
    }

    func fragmented(_ provider: Provider, session: String, parts: [String], at: Date) {
        metrics.malformed(provider, kind: "fragmented")
        stats.update { $0.fragmented += 1 }
        for (index, part) in parts.enumerated() {
            keep(provider, session: session, raw: part, note: "fragment \(index + 1)/\(parts.count) (joined and parsed)", at: at)
        }
    }

    func keep(_ provider: Provider, session: String, raw: String, note: String, at: Date) {
        stats.update { $0.rawFrames += 1 }
        rawLog?.record(provider: provider, session: session, frame: raw, receivedAt: at, note: note)
    }

    func connected(session: String) {
        stats.update { $0.connections[session, default: 0] += 1 }
    }

    func reconnect(_ provider: Provider) {
        metrics.reconnect(provider)
        stats.update { $0.reconnects[provider, default: 0] += 1 }
    }

    func gap(_ provider: Provider, seconds: Double) {
        metrics.gap(provider, seconds: seconds)
        stats.update { $0.gaps[provider, default: 0] += 1 }
    }

    func confirmed(session: String, provider: Provider, count: Int) {
        metrics.confirmed(session: session, provider: provider, count: count)
        stats.update { $0.confirmed[session] = count }
    }

    func published(_ count: Int) {
        metrics.published(count)
        stats.update { $0.published += count }
    }

    func publishFailed() {
        metrics.publishError()
        stats.update { $0.publishErrors += 1 }
    }
}
