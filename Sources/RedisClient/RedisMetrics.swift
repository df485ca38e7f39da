import Metrics

/// The client's counters: `brokerhub_redis_commands_total`, `brokerhub_redis_errors_total{code}`,
/// `brokerhub_redis_reconnects_total`.
enum RedisMetrics {
    static func commands(_ count: Int) {
        Counter(label: "brokerhub_redis_commands_total").increment(by: count)
    }

    static func error(_ code: RedisError.Code) {
        Counter(label: "brokerhub_redis_errors_total", dimensions: [("code", code.rawValue)]).increment()
    }

    static func reconnect() {
        Counter(label: "brokerhub_redis_reconnects_total").increment()
    }
}
