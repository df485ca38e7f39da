import BrokerCore
import BrokerWire
import Foundation
import HummingbirdWebSocket
import MockMarket
import NIOCore
import Synchronization

/// One KIS realtime WebSocket connection: approval-key check, one session per app key (`OPSP8996`),
/// subscribe/unsubscribe acks, the 41-registration cap, `PINGPONG` with disconnect when unanswered (a text echo
/// or a WebSocket pong frame answers it), and
/// `H0STCNT0`/`H0STASP0` frames from the simulated market.
final class KISRealtimeSession: MockRealtimeProtocol {
    static let tradeTransactions: Set<String> = ["H0STCNT0", "H0NXCNT0", "H0UNCNT0"]
    static let bookTransactions: Set<String> = ["H0STASP0", "H0NXASP0", "H0UNASP0"]
    static let noticeTransactions: Set<String> = ["H0STCNI0", "H0STCNI9"]

    struct State {
        var appKey: String?
        var registrations: [String] = [] // "TRID|KEY" in subscription order
        var tradeCursors: [String: TradeCursor] = [:] // "TRID|KEY" → cursor
        var bookCursors: [String: TradeCursor] = [:]
        /// Stream mode: pacing, the last push, the share rotation, and whether the last push streamed.
        var pacer = StreamPacer()
        var lastStream: ContinuousClock.Instant?
        var streamOffset = 0
        var streaming = false
        /// Execution-notice subscriptions ("TRID|HTSID") → the key and iv their ack gave.
        var noticeKeys: [String: (key: String, iv: String)] = [:]
        var nextNotice: ContinuousClock.Instant?
        var noticesSent = 0
    }

    let broker: MockBroker
    let state = Mutex(State())

    init(broker: MockBroker) {
        self.broker = broker
    }

    let provider = Provider.kis
    let acceptsPongFrames = true
    var registrationCount: Int { state.withLock { $0.registrations.count } }

    func heartbeat() -> String { KISFrameEncoder.pingPong(at: Date()) }

    func heartbeatUnanswered() -> MockRealtimeClose {
        MockRealtimeClose(code: .goingAway, reason: "PINGPONG not answered", statsError: "pingpong_unanswered")
    }

    /// KIS has no replacement: a second session of the key is refused (`OPSP8996`), so this never happens.
    func replaced() -> MockRealtimeClose? { nil }

    func receive(_ text: String, session: UInt64) -> MockRealtimeReply {
        guard let json = try? JSONParser.parse(text) else {
            return MockRealtimeReply(replies: [KISFrameEncoder.ack(trID: "", trKey: "", returnCode: "9", code: "OPSP9999", message: "JSON PARSING ERROR : invalid json format")])
        }
        if json["header"]?["tr_id"]?.text == "PINGPONG" { return MockRealtimeReply(heartbeatAnswered: true) }
        return MockRealtimeReply(replies: answer(json, session: session))
    }

    func collect() -> [String] { collectFrames() + collectNotices() }

    /// Answers one (non-heartbeat) client message.
    private func answer(_ json: JSONValue, session: UInt64) -> [String] {
        let trID = json["body"]?["input"]?["tr_id"]?.text ?? json["header"]?["tr_id"]?.text ?? ""
        let trKey = json["body"]?["input"]?["tr_key"]?.text ?? ""
        func reply(_ returnCode: String, _ code: String, _ message: String, keyAndIV: (String, String)? = nil) -> [String] {
            [KISFrameEncoder.ack(trID: trID, trKey: trKey, returnCode: returnCode, code: code, message: message, keyAndIV: keyAndIV)]
        }
        guard let approval = json["header"]?["approval_key"]?.text, let appKey = broker.tokens.appKey(forApproval: approval) else {
            return reply("1", "OPSP0011", "invalid approval : NOT FOUND")
        }
        let sessionKey = state.withLock { $0.appKey }
        if sessionKey == nil {
            if broker.sessions.claim(.kis, appKey: appKey, session: session, replace: false) != nil {
                broker.stats.error(.kis, "OPSP8996")
                return reply("1", "OPSP8996", "ALREADY IN USE appkey")
            }
            state.withLock { $0.appKey = appKey }
        } else if sessionKey != appKey {
            return reply("1", "OPSP8996", "ALREADY IN USE appkey")
        }
        let known = Self.tradeTransactions.union(Self.bookTransactions).union(Self.noticeTransactions)
        guard known.contains(trID) else { return reply("1", "OPSP8991", "invalid tr_id") }
        let isNotice = Self.noticeTransactions.contains(trID)
        guard !trKey.isEmpty, isNotice || broker.symbol(trKey) != nil else { return reply("1", "OPSP8992", "invalid tr_key") }
        let registration = "\(trID)|\(trKey)"
        switch json["header"]?["tr_type"]?.text {
        case "1":
            let outcome: (String, String, String)? = state.withLock { state in
                if state.registrations.contains(registration) { return ("1", "OPSP0002", "ALREADY IN SUBSCRIBE") }
                if state.registrations.count >= broker.configuration.kisSubscriptionCap { return ("1", "OPSP0008", "MAX SUBSCRIBE OVER") }
                state.registrations.append(registration)
                if let symbol = broker.symbol(trKey) {
                    let cursor = broker.cursor(for: symbol, at: broker.marketNow)
                    if Self.tradeTransactions.contains(trID) { state.tradeCursors[registration] = cursor } else { state.bookCursors[registration] = cursor }
                }
                return nil
            }
            if let (returnCode, code, message) = outcome {
                if code == "OPSP0008" { broker.stats.error(.kis, code) }
                return reply(returnCode, code, message)
            }
            broker.stats.update(.kis) { $0.wsSubscriptions += 1 }
            let key = SeededRandomText.text(seed: SeededRandomText.stableHash(registration) ^ session, length: 32, alphabet: Array("abcdefghijklmnopqrstuvwxyz"))
            let iv = SeededRandomText.hex(seed: SeededRandomText.stableHash(registration) ^ ~session, length: 16)
            if isNotice { state.withLock { $0.noticeKeys[registration] = (key, iv) } }
            return reply("0", "OPSP0000", "SUBSCRIBE SUCCESS", keyAndIV: (key, iv))
        case "2":
            let removed = state.withLock { state -> Bool in
                guard let index = state.registrations.firstIndex(of: registration) else { return false }
                state.registrations.remove(at: index)
                state.tradeCursors[registration] = nil
                state.bookCursors[registration] = nil
                state.noticeKeys[registration] = nil
                return true
            }
            guard removed else { return reply("1", "OPSP0003", "UNSUBSCRIBE ERROR(not found!)") }
            broker.stats.update(.kis) { $0.wsSubscriptions -= 1 }
            return reply("0", "OPSP0001", "UNSUBSCRIBE SUCCESS")
        default:
            return reply("1", "OPSP0007", "SUBSCRIBE INTERNAL ERROR : invalid tr_type")
        }
    }

    /// Frames for trades and books that became due since the last push (in stream mode, trades at the
    /// stream rate instead of the market clock).
    private func collectFrames() -> [String] {
        let now = broker.marketNow
        let control = broker.realtime
        let instant = ContinuousClock.now
        return state.withLock { state -> [String] in
            var frames: [String] = []
            let shares = streamShares(&state, control: control, instant: instant, now: now)
            func appendTrades(_ trID: String, _ session: IntradaySession, _ range: Range<Int>, perFrame: Int) {
                for chunk in stride(from: range.lowerBound, to: range.upperBound, by: perFrame) {
                    let indices = chunk..<min(chunk + perFrame, range.upperBound)
                    frames.append(KISFrameEncoder.dataFrame(trID: trID, records: indices.map {
                        KISFrameEncoder.tradeFields(session, index: $0, trID: trID, fields: broker.configuration.kisTickFields)
                    }))
                    broker.stats.sent(.kis, channel: .ticker, symbol: session.symbol, count: indices.count)
                }
            }
            for registration in state.registrations {
                let parts = registration.split(separator: "|", maxSplits: 1).map(String.init)
                guard parts.count == 2, let symbol = broker.symbol(parts[1]) else { continue }
                let trID = parts[0]
                if var cursor = state.tradeCursors[registration] {
                    if let shares {
                        for (session, range) in broker.streamTrades(&cursor, symbol: symbol, count: shares[registration] ?? 0) {
                            appendTrades(trID, session, range, perFrame: control.recordsPerFrame)
                        }
                    } else if let (session, range) = broker.advance(&cursor, symbol: symbol, at: now) {
                        appendTrades(trID, session, range, perFrame: 10)
                    }
                    state.tradeCursors[registration] = cursor
                } else if var cursor = state.bookCursors[registration] {
                    if let (session, range) = broker.advance(&cursor, symbol: symbol, at: now) {
                        let fields = KISFrameEncoder.orderBookFields(session, index: range.upperBound - 1, seed: broker.configuration.seed)
                        frames.append(KISFrameEncoder.dataFrame(trID: trID, records: [fields]))
                        broker.stats.sent(.kis, channel: .orderbook, symbol: symbol.code)
                    }
                    state.bookCursors[registration] = cursor
                }
            }
            return frames
        }
    }

    /// Stream mode: the records each trade subscription sends now, or nil when not streaming. Leaving stream
    /// mode puts the trade cursors back at the market clock.
    private func streamShares(_ state: inout State, control: RealtimeControl, instant: ContinuousClock.Instant, now: Date) -> [String: Int]? {
        defer { state.streaming = control.streamRate != nil }
        guard let rate = control.streamRate else {
            if state.streaming {
                for registration in state.tradeCursors.keys {
                    guard let symbol = broker.symbol(String(registration.split(separator: "|").last ?? "")) else { continue }
                    state.tradeCursors[registration] = broker.cursor(for: symbol, at: now)
                }
            }
            state.lastStream = nil
            return nil
        }
        let elapsed = state.lastStream.map { instant - $0 } ?? .zero
        state.lastStream = instant
        let due = state.pacer.due(rate: rate, elapsed: elapsed)
        let streamed = state.registrations.filter { state.tradeCursors[$0] != nil }
        let split = StreamPacer.shares(of: due, parts: streamed.count, offset: state.streamOffset)
        state.streamOffset &+= 1
        return Dictionary(uniqueKeysWithValues: zip(streamed, split))
    }
}
