import BrokerCore
import BrokerWire
import Collector
import Realtime

/// Kiwoom's realtime protocol as the gateway's clients speak it (pure): `LOGIN` with a hub-issued token,
/// `REG`/`REMOVE` with `grp_no`, `refresh` and `data` items × types (`0B` trades, `0D` books), echoed `PING`s;
/// every answer is Kiwoom's own (`return_code`/`return_msg`, the 1504/1511/1512/1513/8005 texts).
public struct KiwoomClientProtocol: Sendable {
    public enum Request: Sendable, Equatable {
        case login(token: String)
        case register(group: String, keepExisting: Bool, keys: [SubscriptionKey])
        case remove(group: String, keys: [SubscriptionKey])
        case heartbeat
        /// Refused: Kiwoom's answer, a code for the count, and whether the connection closes after it.
        case refused(reply: String, code: String, close: Bool)
    }

    /// Items one group may hold (Kiwoom: 100).
    public var itemsPerGroup: Int

    public init(itemsPerGroup: Int = 100) {
        self.itemsPerGroup = itemsPerGroup
    }

    public static let loginFailed = RealtimeControlText.kiwoomAnswer("LOGIN", code: 1, message: "토큰 인증에 실패했습니다. 접속을 종료합니다 [CODE=8005, MESSAGE=Token이 유효하지 않습니다]")
    public static let loggedIn = RealtimeControlText.kiwoomAnswer("LOGIN", code: 0, message: "", extra: #","sor_yn":"Y""#)

    /// Reads one client message; `loggedIn` says whether this connection's `LOGIN` was accepted.
    public func read(_ text: String, loggedIn: Bool) -> Request {
        guard let json = try? JSONParser.parse(text), let trnm = json["trnm"]?.stringValue else {
            return .refused(reply: RealtimeControlText.kiwoomAnswer("SYSTEM", code: 1, message: "잘못된 요청입니다[1513:JSON 형식이 올바르지 않습니다]"), code: "1513", close: false)
        }
        switch trnm {
        case "PING":
            return .heartbeat
        case "LOGIN":
            guard let token = json["token"]?.stringValue, !token.isEmpty else { return .refused(reply: Self.loginFailed, code: "8005", close: true) }
            return .login(token: token)
        case "REG", "REMOVE":
            guard loggedIn else {
                return .refused(reply: RealtimeControlText.kiwoomAnswer(trnm, code: 1, message: "로그인이 필요합니다[8005:Token이 유효하지 않습니다]"), code: "8005", close: false)
            }
            let group = json["grp_no"]?.text ?? "1"
            guard group.count <= 4, let data = json["data"]?.arrayValue else {
                return .refused(reply: RealtimeControlText.kiwoomAnswer(trnm, code: 2, message: "입력 값 오류입니다[1511:필수 입력 값에 값이 존재하지 않습니다. 필수입력 파라미터=data]"), code: "1511", close: false)
            }
            var keys: [SubscriptionKey] = []
            for entry in data {
                let items = entry["item"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let types = Array(Set(entry["type"]?.arrayValue?.compactMap(\.stringValue) ?? []))
                guard Set(items).count <= itemsPerGroup, types.count <= 2 else {
                    return .refused(reply: RealtimeControlText.kiwoomAnswer(trnm, code: 2, message: "입력 값 오류입니다[1513:한 그룹에 등록할 수 있는 종목 수(\(itemsPerGroup))를 초과했습니다]"), code: "1513", close: false)
                }
                for type in types.sorted() {
                    guard let channel = UpstreamRoute.kiwoomChannels[type] else {
                        return .refused(reply: RealtimeControlText.kiwoomAnswer(trnm, code: 2, message: "입력 값 오류입니다[1512:지원하지 않는 실시간 타입입니다. type=\(type)]"), code: "1512", close: false)
                    }
                    for item in items {
                        guard KISClientProtocol.isSymbol(item) else {
                            return .refused(reply: RealtimeControlText.kiwoomAnswer(trnm, code: 2, message: "입력 값 오류입니다[1902:종목 정보가 없습니다. 종목코드=\(RealtimeControlText.plain(item))]"), code: "1902", close: false)
                        }
                        keys.append(SubscriptionKey(channel, item))
                    }
                }
            }
            if trnm == "REG" { return .register(group: group, keepExisting: json["refresh"]?.text != "0", keys: keys) }
            return .remove(group: group, keys: keys)
        default:
            return .refused(reply: RealtimeControlText.kiwoomAnswer(trnm, code: 1, message: "잘못된 요청입니다[1504:지원하지 않는 trnm입니다]"), code: "1504", close: false)
        }
    }

    /// The answer to a `REG` or `REMOVE` that went through.
    public static func accepted(_ trnm: String) -> String { RealtimeControlText.kiwoomAnswer(trnm, code: 0, message: "") }

    /// The answer to a `REG` no session had room for (the registrations of that `REG` are not kept).
    public static func full(capacity: Int) -> String {
        RealtimeControlText.kiwoomAnswer("REG", code: 2, message: "입력 값 오류입니다[1513:등록 가능한 종목 수를 초과했습니다(세션당 \(capacity))]")
    }

    /// What a slow client is told after frames were dropped for it.
    public static func droppedNotice(_ count: Int) -> String {
        RealtimeControlText.kiwoomSystem(code: "BH000001", message: "SLOW CLIENT: \(count) frame(s) dropped by BrokerHub")
    }
}
