import BrokerCore
import BrokerWire
import Foundation
import HummingbirdWebSocket
import MockMarket
import NIOCore
import Synchronization

/// One Kiwoom realtime WebSocket connection: `LOGIN` with a token, `REG`/`REMOVE` with groups and
/// `refresh`, `PING` to be echoed (`R10002` and a disconnect otherwise), `R10001` when another login with
/// the same app key replaces this one, and `REAL` `0B`/`0D` messages from the simulated market.
final class KiwoomRealtimeSession: MockRealtimeProtocol {
    private struct Registration: Hashable {
        var group: String
        var item: String
        var type: String
    }

    private struct State {
        var appKey: String?
        var registrations: [Registration] = []
        var cursors: [Registration: TradeCursor] = [:]
        /// Stream mode: pacing, the last push, the share rotation, and whether the last push streamed.
        var pacer = StreamPacer()
        var lastStream: ContinuousClock.Instant?
        var streamOffset = 0
        var streaming = false
    }

    let broker: MockBroker
    private let state = Mutex(State())

    init(broker: MockBroker) {
        self.broker = broker
    }

    let provider = Provider.kiwoom
    let acceptsPongFrames = false
    var registrationCount: Int { state.withLock { $0.registrations.count } }

    func heartbeat() -> String { RealtimeControlText.kiwoomPing }

    func heartbeatUnanswered() -> MockRealtimeClose {
        MockRealtimeClose(
            farewell: #"{"trnm":"SYSTEM","code":"R10002","message":"사용자 프로그램으로부터 Heartbeat(연결유지) 메시지가 오지않아서 접속을 종료합니다"}"#,
            code: .normalClosure, reason: "R10002", statsError: "R10002"
        )
    }

    /// Another `LOGIN` with the same app key: `R10001`, then the close.
    func replaced() -> MockRealtimeClose? {
        MockRealtimeClose(farewell: #"{"trnm":"SYSTEM","code":"R10001","message":"동일한 App key로 접속이 되었습니다. 기존 세션은 종료가 됩니다"}"#, code: .normalClosure, reason: "R10001")
    }

    static func answer(_ trnm: String, code: Int, message: String, extra: String = "") -> String {
        RealtimeControlText.kiwoomAnswer(trnm, code: code, message: message, extra: extra)
    }

    /// Answers one client message (a refused `LOGIN` closes the connection after its answer).
    func receive(_ text: String, session: UInt64) -> MockRealtimeReply {
        guard let json = try? JSONParser.parse(text), let trnm = json["trnm"]?.stringValue else {
            return MockRealtimeReply(replies: [Self.answer("SYSTEM", code: 1, message: "잘못된 요청입니다[1513:JSON 형식이 올바르지 않습니다]")])
        }
        switch trnm {
        case "PING":
            return MockRealtimeReply(heartbeatAnswered: true)
        case "LOGIN":
            guard let token = json["token"]?.stringValue, case .valid(let valid) = broker.tokens.validate(token, provider: .kiwoom, now: Date()) else {
                broker.stats.error(.kiwoom, "8005")
                return MockRealtimeReply(
                    replies: [Self.answer("LOGIN", code: 1, message: "토큰 인증에 실패했습니다. 접속을 종료합니다 [CODE=8005, MESSAGE=Token이 유효하지 않습니다]")],
                    close: MockRealtimeClose(code: .policyViolation, reason: "login failed")
                )
            }
            if let previous = broker.sessions.claim(.kiwoom, appKey: valid.appKey, session: session, replace: true) {
                broker.sessions.close(previous, reason: .replaced)
            }
            state.withLock { $0.appKey = valid.appKey }
            return MockRealtimeReply(replies: [Self.answer("LOGIN", code: 0, message: "", extra: #","sor_yn":"Y""#)])
        case "REG", "REMOVE":
            guard state.withLock({ $0.appKey }) != nil else {
                return MockRealtimeReply(replies: [Self.answer(trnm, code: 1, message: "로그인이 필요합니다[8005:Token이 유효하지 않습니다]")])
            }
            return MockRealtimeReply(replies: [register(json, remove: trnm == "REMOVE")])
        default:
            return MockRealtimeReply(replies: [Self.answer(trnm, code: 1, message: "잘못된 요청입니다[1504:지원하지 않는 trnm입니다]")])
        }
    }

    private func register(_ json: JSONValue, remove: Bool) -> String {
        let trnm = remove ? "REMOVE" : "REG"
        let group = json["grp_no"]?.text ?? "1"
        guard group.count <= 4, let data = json["data"]?.arrayValue else {
            return Self.answer(trnm, code: 2, message: "입력 값 오류입니다[1511:필수 입력 값에 값이 존재하지 않습니다. 필수입력 파라미터=data]")
        }
        var wanted: [Registration] = []
        let limit = broker.configuration.kiwoomItemsPerGroup
        for entry in data {
            let items = entry["item"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let types = Array(Set(entry["type"]?.arrayValue?.compactMap(\.stringValue) ?? []))
            // Checked before the item × type product is built (a hostile REG once asked for 4.5 M pairs).
            guard Set(items).count <= limit, types.count <= 2 else {
                return Self.answer(trnm, code: 2, message: "입력 값 오류입니다[1513:한 그룹에 등록할 수 있는 종목 수(\(limit))를 초과했습니다]")
            }
            for item in items {
                for type in types {
                    guard ["0B", "0D"].contains(type) else {
                        return Self.answer(trnm, code: 2, message: "입력 값 오류입니다[1512:지원하지 않는 실시간 타입입니다. type=\(type)]")
                    }
                    guard broker.symbol(item) != nil else {
                        return Self.answer(trnm, code: 2, message: "입력 값 오류입니다[1902:종목 정보가 없습니다. 종목코드=\(item)]")
                    }
                    wanted.append(Registration(group: group, item: item, type: type))
                }
            }
        }
        let now = broker.marketNow
        let caps = (group: limit, session: broker.configuration.kiwoomSubscriptionCap)
        let delta = state.withLock { state -> Int? in
            let before = state.registrations.count
            if !remove {
                let kept = json["refresh"]?.text == "0" ? state.registrations.filter { $0.group != group } : state.registrations
                let added = Set(wanted).subtracting(kept)
                let groupItems = Set(kept.filter { $0.group == group }.map(\.item)).union(added.map(\.item))
                if groupItems.count > caps.group || kept.count + added.count > caps.session { return nil }
            }
            if remove {
                state.registrations.removeAll { wanted.contains($0) }
            } else {
                if json["refresh"]?.text == "0" { state.registrations.removeAll { $0.group == group } }
                for registration in wanted where !state.registrations.contains(registration) {
                    state.registrations.append(registration)
                    if let symbol = broker.symbol(registration.item) { state.cursors[registration] = broker.cursor(for: symbol, at: now) }
                }
            }
            state.cursors = state.cursors.filter { state.registrations.contains($0.key) }
            return state.registrations.count - before
        }
        guard let delta else {
            broker.stats.error(.kiwoom, "registration_cap")
            return Self.answer(trnm, code: 2, message: "입력 값 오류입니다[1513:등록 가능한 종목 수를 초과했습니다(그룹당 \(caps.group), 세션당 \(caps.session))]")
        }
        broker.stats.update(.kiwoom) { $0.wsSubscriptions += delta }
        return Self.answer(trnm, code: 0, message: "")
    }

    /// One `REAL` message with every trade and book that became due (none when nothing did); in stream mode
    /// trades come at the stream rate, `records_per_frame` entries a message.
    func collect() -> [String] {
        let now = broker.marketNow
        let seed = broker.configuration.seed
        let control = broker.realtime
        let instant = ContinuousClock.now
        return state.withLock { state -> [String] in
            var entries: [String] = []
            var records: [(channel: MockStats.RecordChannel, symbol: String)] = []
            var messages: [String] = []
            let shares = streamShares(&state, control: control, instant: instant, now: now)
            for registration in state.registrations {
                guard var cursor = state.cursors[registration], let symbol = broker.symbol(registration.item) else { continue }
                if registration.type == "0B", let shares {
                    for (session, range) in broker.streamTrades(&cursor, symbol: symbol, count: shares[registration] ?? 0) {
                        for chunk in stride(from: range.lowerBound, to: range.upperBound, by: control.recordsPerFrame) {
                            let indices = chunk..<min(chunk + control.recordsPerFrame, range.upperBound)
                            messages.append(KiwoomMessageEncoder.real(indices.map { KiwoomMessageEncoder.tradeEntry(session, index: $0) }))
                            broker.stats.sent(.kiwoom, channel: .ticker, symbol: symbol.code, count: indices.count)
                        }
                    }
                } else if let (session, range) = broker.advance(&cursor, symbol: symbol, at: now) {
                    if registration.type == "0B" {
                        for index in range { entries.append(KiwoomMessageEncoder.tradeEntry(session, index: index)) }
                        records += Array(repeating: (.ticker, symbol.code), count: range.count)
                    } else {
                        entries.append(KiwoomMessageEncoder.orderBookEntry(session, index: range.upperBound - 1, seed: seed))
                        records.append((.orderbook, symbol.code))
                    }
                }
                state.cursors[registration] = cursor
            }
            if !entries.isEmpty {
                broker.stats.sent(.kiwoom, records: records)
                messages.append(KiwoomMessageEncoder.real(entries))
            }
            return messages
        }
    }

    /// Stream mode: the records each `0B` registration sends now, or nil when not streaming. Leaving stream
    /// mode puts the trade cursors back at the market clock.
    private func streamShares(_ state: inout State, control: RealtimeControl, instant: ContinuousClock.Instant, now: Date) -> [Registration: Int]? {
        defer { state.streaming = control.streamRate != nil }
        guard let rate = control.streamRate else {
            if state.streaming {
                for registration in state.cursors.keys where registration.type == "0B" {
                    guard let symbol = broker.symbol(registration.item) else { continue }
                    state.cursors[registration] = broker.cursor(for: symbol, at: now)
                }
            }
            state.lastStream = nil
            return nil
        }
        let elapsed = state.lastStream.map { instant - $0 } ?? .zero
        state.lastStream = instant
        let due = state.pacer.due(rate: rate, elapsed: elapsed)
        let streamed = state.registrations.filter { $0.type == "0B" && state.cursors[$0] != nil }
        let split = StreamPacer.shares(of: due, parts: streamed.count, offset: state.streamOffset)
        state.streamOffset &+= 1
        return Dictionary(uniqueKeysWithValues: zip(streamed, split))
    }
}
