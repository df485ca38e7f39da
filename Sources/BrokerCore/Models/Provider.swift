/// A broker BrokerHub talks to.
public enum Provider: String, Sendable, Hashable, Codable, CaseIterable {
    /// 한국투자증권 (Korea Investment & Securities) Open API.
    case kis
    /// 키움증권 REST / WebSocket API.
    case kiwoom
}
