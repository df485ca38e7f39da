/// Faults the mock broker injects, set at start-up and changeable at runtime (`POST /_mock/faults`).
public struct FaultProfile: Sendable, Hashable, Codable {
    /// Added to every REST answer.
    public var latencyMilliseconds: Int = 0
    /// Uniform extra latency in `0...jitterMilliseconds`.
    public var jitterMilliseconds: Int = 0
    /// Share of REST requests answered with HTTP 500/502/503 (gateway trouble), 0…1.
    public var serverErrorRate: Double = 0
    /// Share of REST requests that hang for `hangSeconds` before an answer.
    public var hangRate: Double = 0
    public var hangSeconds: Double = 30
    /// When set, tokens issued from now on expire after this many seconds (early expiry).
    public var tokenLifetimeSeconds: Double?
    /// Share of realtime data frames sent malformed (a field removed).
    public var malformedFrameRate: Double = 0
    /// Share of realtime data frames split across two WebSocket messages.
    public var fragmentedFrameRate: Double = 0
    /// Abnormally close every realtime session after this many seconds (no close frame).
    public var disconnectAfterSeconds: Double?
    /// Stop sending data (but keep the session) for this many seconds after each session starts.
    public var stallSeconds: Double = 0

    public init() {}

    /// The largest latency and jitter accepted (one minute) and the largest duration in seconds (one day).
    public static let maximumMilliseconds = 60_000
    public static let maximumSeconds: Double = 86_400

    /// No faults.
    public static let none = FaultProfile()

    /// A named profile for the CLI: `none`, `jitter` (latency with jitter), `flaky` (jitter and 5xx),
    /// `chaos` (everything).
    public static func named(_ name: String) -> FaultProfile? {
        var profile = FaultProfile()
        switch name {
        case "none": break
        case "jitter":
            profile.latencyMilliseconds = 5
            profile.jitterMilliseconds = 20
        case "flaky":
            profile.latencyMilliseconds = 5
            profile.jitterMilliseconds = 20
            profile.serverErrorRate = 0.05
        case "chaos":
            profile.latencyMilliseconds = 10
            profile.jitterMilliseconds = 50
            profile.serverErrorRate = 0.05
            profile.hangRate = 0.01
            profile.hangSeconds = 15
            profile.malformedFrameRate = 0.01
            profile.fragmentedFrameRate = 0.02
            profile.disconnectAfterSeconds = 60
        default: return nil
        }
        return profile
    }

    enum CodingKeys: String, CodingKey {
        case latencyMilliseconds = "latency_ms", jitterMilliseconds = "jitter_ms", serverErrorRate = "server_error_rate"
        case hangRate = "hang_rate", hangSeconds = "hang_seconds", tokenLifetimeSeconds = "token_lifetime_seconds"
        case malformedFrameRate = "malformed_frame_rate", fragmentedFrameRate = "fragmented_frame_rate"
        case disconnectAfterSeconds = "disconnect_after_seconds", stallSeconds = "stall_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        latencyMilliseconds = try container.decodeIfPresent(Int.self, forKey: .latencyMilliseconds) ?? 0
        jitterMilliseconds = try container.decodeIfPresent(Int.self, forKey: .jitterMilliseconds) ?? 0
        serverErrorRate = try container.decodeIfPresent(Double.self, forKey: .serverErrorRate) ?? 0
        hangRate = try container.decodeIfPresent(Double.self, forKey: .hangRate) ?? 0
        hangSeconds = try container.decodeIfPresent(Double.self, forKey: .hangSeconds) ?? 30
        tokenLifetimeSeconds = try container.decodeIfPresent(Double.self, forKey: .tokenLifetimeSeconds)
        malformedFrameRate = try container.decodeIfPresent(Double.self, forKey: .malformedFrameRate) ?? 0
        fragmentedFrameRate = try container.decodeIfPresent(Double.self, forKey: .fragmentedFrameRate) ?? 0
        disconnectAfterSeconds = try container.decodeIfPresent(Double.self, forKey: .disconnectAfterSeconds)
        stallSeconds = try container.decodeIfPresent(Double.self, forKey: .stallSeconds) ?? 0
        func refuse(_ reason: String) -> DecodingError {
            DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: reason))
        }
        for rate in [serverErrorRate, hangRate, malformedFrameRate, fragmentedFrameRate] where !(0...1).contains(rate) {
            throw refuse("rates must be within 0…1")
        }
        // Every value becomes a Duration or a sleep: out of range (or NaN) they would trap the mock later.
        for milliseconds in [latencyMilliseconds, jitterMilliseconds] where !(0...Self.maximumMilliseconds).contains(milliseconds) {
            throw refuse("latency_ms and jitter_ms must be within 0…\(Self.maximumMilliseconds)")
        }
        for seconds in [hangSeconds, stallSeconds, tokenLifetimeSeconds ?? 1, disconnectAfterSeconds ?? 1] where !(0...Self.maximumSeconds).contains(seconds) {
            throw refuse("durations in seconds must be within 0…\(Int(Self.maximumSeconds))")
        }
    }
}
