/// One Pub/Sub message: the channel it was published on, the matching pattern for `PSUBSCRIBE`, and the payload.
public struct RedisPubSubMessage: Sendable, Hashable {
    public var channel: String
    public var pattern: String?
    public var payload: [UInt8]

    public init(channel: String, pattern: String? = nil, payload: [UInt8]) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
    }

    /// The payload decoded as UTF-8.
    public var payloadString: String { String(decoding: payload, as: UTF8.self) }
}
