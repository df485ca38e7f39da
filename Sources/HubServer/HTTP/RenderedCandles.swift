import BrokerCore
import NIOCore
import Synchronization

/// The rendered bodies of recent `GET /v1/candles` answers, reused while the hub hands back the very same candles —
/// as it does on every history-cache hit for past days. Comparing 126 candles costs a fraction of rendering them, and
/// a body is only ever reused for equal candles, pages and range, so it is always the body rendering would give.
final class RenderedCandles: Sendable {
    struct Key: Hashable, Sendable {
        var provider: Provider
        var symbol: String
        var interval: String
        var from: KSTDate
        var to: KSTDate
    }

    private struct Entry: Sendable {
        var candles: [Candle]
        var pages: Int
        var body: ByteBuffer
    }

    private let entries = Mutex<[Key: Entry]>([:])
    /// Answers kept at most; past it an arbitrary one makes room.
    let capacity: Int

    init(capacity: Int = 256) {
        self.capacity = capacity
    }

    /// The body for `candles`: the kept one when it was rendered from equal candles and pages, else `render()`'s,
    /// then kept.
    func body(for key: Key, candles: [Candle], pages: Int, render: () -> String) -> ByteBuffer {
        if let entry = entries.withLock({ $0[key] }), entry.pages == pages, entry.candles == candles {
            return entry.body
        }
        let body = ByteBuffer(string: render())
        entries.withLock { entries in
            if entries[key] == nil, entries.count >= capacity { entries.remove(at: entries.startIndex) }
            entries[key] = Entry(candles: candles, pages: pages, body: body)
        }
        return body
    }

    var count: Int { entries.withLock { $0.count } }
}
