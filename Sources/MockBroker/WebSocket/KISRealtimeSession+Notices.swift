import BrokerCore
import Foundation

extension KISRealtimeSession {
    /// Encrypted `H0STCNI0` execution notices, one per notice subscription every `notice_interval_ms`: a fill
    /// of the latest trade of a subscribed symbol (005930 when none), encrypted with that subscription's key/iv.
    func collectNotices() -> [String] {
        guard let interval = broker.realtime.noticeIntervalMilliseconds else { return [] }
        let instant = ContinuousClock.now
        let now = broker.marketNow
        return state.withLock { state -> [String] in
            guard !state.noticeKeys.isEmpty else { return [] }
            guard let due = state.nextNotice, instant >= due else {
                if state.nextNotice == nil { state.nextNotice = instant + .milliseconds(interval) }
                return []
            }
            state.nextNotice = instant + .milliseconds(interval)
            let symbols = state.registrations.compactMap { registration -> String? in
                guard state.tradeCursors[registration] != nil || state.bookCursors[registration] != nil else { return nil }
                return registration.split(separator: "|").last.map(String.init)
            }
            var frames: [String] = []
            for registration in state.registrations {
                guard let keys = state.noticeKeys[registration] else { continue }
                let parts = registration.split(separator: "|", maxSplits: 1).map(String.init)
                state.noticesSent += 1
                let sequence = state.noticesSent
                let code = symbols.isEmpty ? "005930" : symbols[sequence % symbols.count]
                guard let symbol = broker.symbol(code) ?? broker.market.universe.symbols.first else { continue }
                var price = Int64(0), second = KST.secondOfDay(now)
                if let (session, count) = broker.liveSession(symbol, at: now) {
                    price = count > 0 ? session.prices[count - 1] : session.previousClose
                    if count > 0 { second = Int(session.seconds[count - 1]) }
                }
                let fields = KISFrameEncoder.noticeFields(
                    htsID: parts[1], orderNumber: 1_000 + sequence, symbol: symbol.code, name: symbol.name,
                    buy: sequence % 2 == 1, quantity: Int64(1 + sequence % 10), price: price, second: second
                )
                guard let frame = try? KISFrameEncoder.encryptedFrame(trID: parts[0], fields: fields, key: keys.key, iv: keys.iv) else { continue }
                frames.append(frame)
                broker.stats.sent(.kis, channel: .notice, symbol: symbol.code)
            }
            return frames
        }
    }
}
