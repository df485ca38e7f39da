import BrokerCore

/// The brokers' change-direction code (`prdy_vrss_sign`, `pred_pre_sig`, `pre_sig`):
/// 1 upper limit, 2 up, 3 unchanged, 4 lower limit, 5 down.
enum SignCode {
    /// Applies the code's direction to a change that may or may not carry its own sign.
    static func signed(_ value: Int64, code: String?) -> Int64 {
        switch code {
        case "1", "2": abs(value)
        case "4", "5": -abs(value)
        case "3": 0
        default: value
        }
    }

    static func signed(_ value: FixedDecimal, code: String?) -> FixedDecimal {
        switch code {
        case "1", "2": value.withSign(negative: false)
        case "4", "5": value.withSign(negative: true)
        case "3": .zero
        default: value
        }
    }
}
