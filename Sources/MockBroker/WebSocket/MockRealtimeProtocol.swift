import BrokerCore
import HummingbirdWebSocket
import NIOWebSocket

/// One broker's realtime protocol in the mock, as `MockRealtimeRunner` drives it: answering client messages,
/// the heartbeat's wording, and the frames due at each push. Implementations: `KISRealtimeSession`,
/// `KiwoomRealtimeSession`. The connection loop, heartbeat timing, faults and session bookkeeping are the
/// runner's, once for both.
protocol MockRealtimeProtocol: Sendable {
    var provider: Provider { get }
    /// Whether a WebSocket pong frame answers the heartbeat (KIS's samples answer `PINGPONG` that way).
    var acceptsPongFrames: Bool { get }
    /// Registrations held now (the stats count them out when the connection ends).
    var registrationCount: Int { get }
    /// The heartbeat message sent every ping interval.
    func heartbeat() -> String
    /// What to send and how to close when the previous heartbeat went unanswered.
    func heartbeatUnanswered() -> MockRealtimeClose
    /// Answers one text message; `session` is the runner's registry id.
    func receive(_ text: String, session: UInt64) -> MockRealtimeReply
    /// Another session took this one's place: the close to perform at the next push, or nil to close the
    /// channel at once.
    func replaced() -> MockRealtimeClose?
    /// The frames that became due since the last push.
    func collect() -> [String]
}

/// The replies to one client message.
struct MockRealtimeReply: Sendable {
    var replies: [String] = []
    /// The message was a heartbeat answer.
    var heartbeatAnswered = false
    /// Close after the replies (e.g. a refused `LOGIN`).
    var close: MockRealtimeClose?
}

/// A close the broker performs: a last message (if any), then a close frame with a code and reason.
struct MockRealtimeClose: Sendable {
    var farewell: String?
    var code: WebSocketErrorCode
    var reason: String
    /// Counted in the mock's stats as this error code.
    var statsError: String?
}
