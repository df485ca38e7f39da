import BrokerCore
import BrokerWire
import Foundation
import Realtime

/// Kiwoom realtime session logic: `LOGIN` with the access token, then `REG`/`REMOVE` with `grp_no` and
/// `refresh` (acks carry no item, so requests are matched to acks in order), `PING` echoed verbatim, `REAL`
/// `0B`/`0D` parsed with `KiwoomRealtimeParser`, and `SYSTEM` notices: `R10001` (another login with the same
/// app key replaced this session) stops the session for good, so two collectors never evict each other in
/// a loop.
public struct KiwoomSessionMachine: SessionMachine {
    public let provider = Provider.kiwoom
    public var subscriptions: SubscriptionManager
    public var group = "1"
    private var assembler = FrameAssembler()

    /// A `REG` or `REMOVE` sent and not yet answered.
    struct Request: Sendable, Equatable {
        var trnm: String
        var keys: [SubscriptionKey]
    }

    /// The connection as the machine sees it.
    enum State: Sendable, Equatable {
        case disconnected
        /// `LOGIN` sent; nothing is registered before it is answered.
        case loggingIn
        /// Logged in; `inFlight` requests wait for their acks, oldest first (acks carry no item).
        case loggedIn(inFlight: [Request])
    }

    private(set) var state = State.disconnected

    public init(subscriptions: SubscriptionManager = SubscriptionManager()) {
        self.subscriptions = subscriptions
    }

    public mutating func connected(credential: String, now: Date) -> [SessionOutput] {
        state = .loggingIn
        return [.send(#"{"trnm":"LOGIN","token":"\#(credential)"}"#)]
    }

    public mutating func tick(now: Date) -> [SessionOutput] {
        var outputs = assembler.expire(now: now)
        let late = subscriptions.expire(now: now)
        if !late.isEmpty {
            let lateKeys = Set(late.map(\.key))
            if case .loggedIn(let inFlight) = state {
                state = .loggedIn(inFlight: inFlight.map { Request(trnm: $0.trnm, keys: $0.keys.filter { !lateKeys.contains($0) }) })
            }
            outputs.append(.alert(
                kind: "subscription.timeout",
                message: "Kiwoom: \(late.count) registration request(s) not acknowledged in time (\(late.prefix(5).map(\.key.description).joined(separator: ", ")))",
                symbol: nil
            ))
        }
        return outputs + requests(now: now)
    }

    public mutating func disconnected() -> Int {
        state = .disconnected
        _ = assembler.flush()
        return subscriptions.disconnected()
    }

    public mutating func unsubscribeAll(now: Date) -> [SessionOutput] {
        subscriptions.drop(subscriptions.desired)
        return requests(now: now)
    }

    /// One `REG` or `REMOVE` message for keys of one channel.
    public func message(trnm: String, channel: RealtimeChannel, symbols: [String]) -> String {
        let items = symbols.map { "\"\($0)\"" }.joined(separator: ",")
        let type = channel == .orderbook ? "0D" : "0B"
        return #"{"trnm":"\#(trnm)","grp_no":"\#(group)","refresh":"1","data":[{"item":[\#(items)],"type":["\#(type)"]}]}"#
    }

    private mutating func requests(now: Date) -> [SessionOutput] {
        guard case .loggedIn(var inFlight) = state else { return [] }
        defer { state = .loggedIn(inFlight: inFlight) }
        let requests = subscriptions.nextRequests(now: now)
        var outputs: [SessionOutput] = []
        for operation in [SubscriptionManager.Operation.unsubscribe, .subscribe] {
            let trnm = operation == .subscribe ? "REG" : "REMOVE"
            for channel in [RealtimeChannel.ticker, .orderbook] {
                let keys = requests.filter { $0.operation == operation && $0.key.channel == channel }.map(\.key)
                guard !keys.isEmpty else { continue }
                inFlight.append(Request(trnm: trnm, keys: keys))
                outputs.append(.send(message(trnm: trnm, channel: channel, symbols: keys.map(\.symbol))))
            }
        }
        return outputs
    }

    public mutating func receive(_ text: String, at now: Date) -> [SessionOutput] {
        let (parsed, outputs) = assembler.accept(text, at: now) { try KiwoomRealtimeParser.parse($0, receivedAt: now) }
        guard let message = parsed else { return outputs }
        switch message {
        case .real(let records, let unsupported):
            var result = outputs
            if !records.isEmpty { result.append(.records(records)) }
            if !unsupported.isEmpty {
                result.append(.raw(text, note: "unsupported REAL types \(Set(unsupported.map(\.type)).sorted().joined(separator: ","))"))
            }
            return result
        case .ping(let raw):
            return outputs + [.send(raw)]
        case .login(let failure):
            if let failure {
                let refused: [SessionOutput] = [.alert(kind: "session.login_failed", message: "Kiwoom LOGIN refused: \(failure.description)", symbol: nil)]
                // An expired or invalid token (8005, return_code 3 …): a new one, not the same one again.
                guard failure.category == .tokenExpired || failure.category == .tokenInvalid else { return outputs + refused }
                return outputs + refused + [.credentialRefused(reason: "Kiwoom LOGIN refused the token: \(failure.code ?? "-")")]
            }
            if case .loggingIn = state { state = .loggedIn(inFlight: []) }
            return outputs + requests(now: now)
        case .registration(let trnm, let failure):
            guard case .loggedIn(var inFlight) = state, let index = inFlight.firstIndex(where: { $0.trnm == trnm }) else { return outputs }
            let keys = inFlight.remove(at: index).keys
            state = .loggedIn(inFlight: inFlight)
            if let failure {
                for key in keys { subscriptions.resolve(key, .refused(failure.code ?? "\(failure.returnCode ?? -1)")) }
                return outputs + [.alert(
                    kind: "subscription.refused",
                    message: "Kiwoom \(trnm) of \(keys.count) item(s) refused: \(failure.description)",
                    symbol: keys.count == 1 ? keys[0].symbol : nil
                )]
            }
            for key in keys { subscriptions.resolve(key, trnm == "REG" ? .confirmed : .removed) }
            return outputs + requests(now: now)
        case .system(let code, let text):
            if code == "R10001" {
                return outputs + [
                    .alert(kind: "session.replaced", message: "Kiwoom R10001: another login with the same app key replaced this session; not reconnecting (\(text))", symbol: nil),
                    .stop(reason: "R10001 session replaced by another login"),
                ]
            }
            let kind = code == "R10002" ? "session.heartbeat_missed" : "session.system"
            return outputs + [.alert(kind: kind, message: "Kiwoom SYSTEM \(code): \(text)", symbol: nil)]
        case .other(let trnm, let raw):
            return outputs + [.raw(raw, note: "unknown trnm \(trnm)")]
        }
    }
}
