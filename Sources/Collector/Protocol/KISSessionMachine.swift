import BrokerCore
import BrokerWire
import Foundation
import Realtime

/// KIS realtime session logic: subscribe/unsubscribe requests (`approval_key`, `custtype`, `tr_type` 1/2,
/// `tr_id`/`tr_key`), acks (`OPSP0000`/`OPSP0002` confirmed, `OPSP0001`/`OPSP0003` removed, `OPSP0008` cap
/// reached — alert and stop adding, anything else refused with an alert), `PINGPONG` echoed verbatim, data
/// frames parsed with `KISRealtimeParser`. With `notices` set, the session also subscribes to execution
/// notices for that HTS ID (`H0STCNI0`; `H0STCNI9` on paper accounts) after every connect; they arrive
/// encrypted and are decrypted with the key and iv of their ack (`KISNoticeCipher` by default) and kept as
/// raw frames. A notice that cannot be decrypted, or decrypts to the wrong layout, is kept raw and alerted.
public struct KISSessionMachine: SessionMachine {
    /// Decrypts an encrypted notice payload (base64 AES-256-CBC) with the key and iv from its ack.
    public typealias NoticeDecryptor = @Sendable (_ payload: String, _ key: String, _ iv: String) -> String?

    static let tradeTransactions: Set<String> = ["H0STCNT0", "H0NXCNT0", "H0UNCNT0"]
    static let bookTransactions: Set<String> = ["H0STASP0", "H0NXASP0", "H0UNASP0"]

    public let provider = Provider.kis
    public var subscriptions: SubscriptionManager
    public var custType = "P"
    public var tickTransaction = "H0STCNT0"
    public var bookTransaction = "H0STASP0"
    public var decryptor: NoticeDecryptor?
    /// Execution notices to subscribe to: the notice TR and the HTS ID it is keyed by.
    public var notices: (trID: String, htsID: String)?
    private var assembler = FrameAssembler()

    /// The connection as the machine sees it.
    enum State: Sendable {
        case disconnected
        /// Requests are signed with `approvalKey`; `noticeKeys` are the AES key and iv per notice TR, from its ack.
        case connected(approvalKey: String, noticeKeys: [String: (key: String, iv: String)])
    }

    private(set) var state = State.disconnected

    /// AES key and iv per notice TR, from its subscription ack on this connection.
    public var noticeKeys: [String: (key: String, iv: String)] {
        if case .connected(_, let keys) = state { return keys }
        return [:]
    }

    private var approvalKey: String? {
        if case .connected(let key, _) = state { return key }
        return nil
    }

    public init(
        subscriptions: SubscriptionManager = SubscriptionManager(), notices: (trID: String, htsID: String)? = nil,
        decryptor: NoticeDecryptor? = KISNoticeCipher.decrypt
    ) {
        self.subscriptions = subscriptions
        self.notices = notices
        self.decryptor = decryptor
    }

    public mutating func connected(credential: String, now: Date) -> [SessionOutput] {
        state = .connected(approvalKey: credential, noticeKeys: [:])
        return noticeRequest(subscribe: true) + requests(now: now)
    }

    /// The execution-notice subscribe or unsubscribe message, when notices are configured.
    private func noticeRequest(subscribe: Bool) -> [SessionOutput] {
        guard let notices, let approvalKey else { return [] }
        return [.send(#"{"header":{"approval_key":"\#(approvalKey)","custtype":"\#(custType)","tr_type":"\#(subscribe ? "1" : "2")","content-type":"utf-8"},"body":{"input":{"tr_id":"\#(notices.trID)","tr_key":"\#(notices.htsID)"}}}"#)]
    }

    public mutating func tick(now: Date) -> [SessionOutput] {
        var outputs = assembler.expire(now: now)
        for late in subscriptions.expire(now: now) {
            outputs.append(.alert(
                kind: "subscription.timeout", message: "KIS \(late.operation.rawValue) \(late.key) not acknowledged in time", symbol: late.key.symbol
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
        return noticeRequest(subscribe: false) + requests(now: now)
    }

    /// The subscribe (`tr_type` 1) or unsubscribe (2) message.
    public func message(_ request: SubscriptionManager.Request, approvalKey: String) -> String {
        let trID = request.key.channel == .orderbook ? bookTransaction : tickTransaction
        let type = request.operation == .subscribe ? "1" : "2"
        return #"{"header":{"approval_key":"\#(approvalKey)","custtype":"\#(custType)","tr_type":"\#(type)","content-type":"utf-8"},"body":{"input":{"tr_id":"\#(trID)","tr_key":"\#(request.key.symbol)"}}}"#
    }

    private mutating func requests(now: Date) -> [SessionOutput] {
        guard let approvalKey else { return [] }
        return subscriptions.nextRequests(now: now).map { .send(message($0, approvalKey: approvalKey)) }
    }

    public mutating func receive(_ text: String, at now: Date) -> [SessionOutput] {
        let (parsed, outputs) = assembler.accept(text, at: now) { try KISRealtimeParser.parse($0, receivedAt: now) }
        guard let message = parsed else { return outputs }
        switch message {
        case .ticks(_, let ticks): return outputs + [.records(ticks.map(MarketRecord.tick))]
        case .orderBooks(_, let books): return outputs + [.records(books.map(MarketRecord.orderBook))]
        case .pingPong(let raw): return outputs + [.send(raw)]
        case .ack(let ack): return outputs + acknowledged(ack, now: now)
        case .encrypted(let trID, _, let payload):
            guard let decryptor, let keys = noticeKeys[trID] else {
                return outputs + [.raw(text, note: "encrypted notice \(trID) (not decrypted)")]
            }
            guard let plain = decryptor(payload, keys.key, keys.iv) else {
                return outputs + [.raw(text, note: "encrypted notice \(trID) (does not decrypt)"),
                                  .alert(kind: "notice.undecryptable", message: "KIS \(trID) notice does not decrypt with its ack's key and iv", symbol: nil)]
            }
            let fields = plain.split(separator: "^", omittingEmptySubsequences: false).count
            guard fields == KISRealtimeLayout.executionNotice.count else {
                return outputs + [.raw(plain, note: "notice \(trID) (\(fields) fields)"),
                                  .alert(kind: "notice.malformed", message: "KIS \(trID) notice has \(fields) fields, expected \(KISRealtimeLayout.executionNotice.count)", symbol: nil)]
            }
            return outputs + [.raw(plain, note: "notice \(trID)")]
        }
    }

    private func channel(of trID: String) -> RealtimeChannel? {
        if trID == tickTransaction || Self.tradeTransactions.contains(trID) { return .ticker }
        if trID == bookTransaction || Self.bookTransactions.contains(trID) { return .orderbook }
        return nil
    }

    /// Whether an ack refuses the approval key itself (`OPSP0011 invalid approval`), not the registration.
    static func refusesApprovalKey(_ ack: KISSubscriptionAck) -> Bool {
        !ack.succeeded && (ack.code == "OPSP0011" || ack.message.lowercased().contains("invalid approval"))
    }

    private mutating func acknowledged(_ ack: KISSubscriptionAck, now: Date) -> [SessionOutput] {
        if Self.refusesApprovalKey(ack) {
            // The registration stays wanted: it is restored on the next connection, with a new key.
            return [.credentialRefused(reason: "KIS refused the approval key: \(ack.code) \(ack.message)")]
        }
        guard let channel = channel(of: ack.trID) else {
            if let key = ack.key, let iv = ack.iv, ack.succeeded, case .connected(let approvalKey, var keys) = state {
                keys[ack.trID] = (key, iv)
                state = .connected(approvalKey: approvalKey, noticeKeys: keys)
            }
            if ack.succeeded || ack.outcome == .alreadySubscribed || ack.outcome == .unsubscribed { return [] }
            return [.alert(kind: "subscription.refused", message: "KIS \(ack.trID) \(ack.trKey): \(ack.code) \(ack.message)", symbol: ack.trKey.isEmpty ? nil : ack.trKey)]
        }
        let key = SubscriptionKey(channel, ack.trKey)
        switch ack.outcome {
        case .subscribed, .alreadySubscribed:
            subscriptions.resolve(key, .confirmed)
            return requests(now: now)
        case .unsubscribed, .notSubscribed:
            subscriptions.resolve(key, .removed)
            return requests(now: now)
        case .maxSubscriptions:
            subscriptions.resolve(key, .capReached)
            return [.alert(
                kind: "subscription.cap",
                message: "KIS session refused \(key) with \(ack.code) \(ack.message): no more registrations on this session",
                symbol: key.symbol
            )]
        default:
            subscriptions.resolve(key, .refused(ack.code))
            let kind = ack.outcome == .appKeyInUse ? "session.app_key_in_use" : "subscription.refused"
            return [.alert(kind: kind, message: "KIS refused \(key): \(ack.code) \(ack.message)", symbol: key.symbol)]
        }
    }
}
