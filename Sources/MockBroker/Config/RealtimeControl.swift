/// Realtime behaviour beyond following the market clock, set at start-up and changeable at runtime
/// (`GET`/`POST /_mock/realtime`).
public struct RealtimeControl: Sendable, Hashable, Codable {
    /// Stream mode: when set, every realtime session sends this many trade records per second, shared by its
    /// trade subscriptions (KIS `H0STCNT0`, Kiwoom `0B`). They are the simulated market's trades in order,
    /// continuing into the following trading days, whatever the market clock says; order books still follow
    /// the clock. For benchmarks and pipeline tests that need many valid ticks quickly.
    public var streamRate: Int?
    /// Trade records per KIS frame (the `count` field) and entries per Kiwoom `REAL` message in stream mode.
    public var recordsPerFrame: Int = 10
    /// When set, KIS sessions subscribed to `H0STCNI0`/`H0STCNI9` get one AES-256-CBC encrypted execution
    /// notice (a simulated fill) per subscription this often, with the key and iv of its subscription ack.
    public var noticeIntervalMilliseconds: Int?

    public init(streamRate: Int? = nil, recordsPerFrame: Int = 10, noticeIntervalMilliseconds: Int? = nil) {
        self.streamRate = streamRate
        self.recordsPerFrame = recordsPerFrame
        self.noticeIntervalMilliseconds = noticeIntervalMilliseconds
    }

    enum CodingKeys: String, CodingKey {
        case streamRate = "stream_rate", recordsPerFrame = "records_per_frame", noticeIntervalMilliseconds = "notice_interval_ms"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        streamRate = try container.decodeIfPresent(Int.self, forKey: .streamRate)
        recordsPerFrame = try container.decodeIfPresent(Int.self, forKey: .recordsPerFrame) ?? 10
        noticeIntervalMilliseconds = try container.decodeIfPresent(Int.self, forKey: .noticeIntervalMilliseconds)
        if streamRate == 0 { streamRate = nil }
        if noticeIntervalMilliseconds == 0 { noticeIntervalMilliseconds = nil }
        guard (streamRate ?? 1) > 0, (1...100).contains(recordsPerFrame), (noticeIntervalMilliseconds ?? 1) > 0 else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "stream_rate and notice_interval_ms must be positive (0 or null: off), records_per_frame within 1…100"
            ))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(streamRate, forKey: .streamRate)
        try container.encode(recordsPerFrame, forKey: .recordsPerFrame)
        try container.encode(noticeIntervalMilliseconds, forKey: .noticeIntervalMilliseconds)
    }
}
