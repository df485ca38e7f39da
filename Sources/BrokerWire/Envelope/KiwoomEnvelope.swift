import BrokerCore

/// Reads the Kiwoom envelope: integer `return_code` plus `return_msg` whose detailed code sits inside,
/// as `…[1700:…]`, `…[CODE=8005, MESSAGE=…]` (WebSocket) or `[2000](571489:…)`.
public enum KiwoomEnvelope {
    public static func failure(httpStatus: Int, body: JSONValue?) -> BrokerFailure? {
        let success = (200..<300).contains(httpStatus)
        let returnCode = body?["return_code"]?.intValue
        if success, returnCode == nil || returnCode == 0 { return nil }
        let message = body?["return_msg"]?.text ?? "HTTP \(httpStatus)"
        let inner = innerCode(in: message)
        return BrokerFailure(
            provider: .kiwoom,
            category: BrokerErrorTaxonomy.kiwoom(httpStatus: httpStatus, returnCode: returnCode, innerCode: inner),
            httpStatus: httpStatus, code: inner ?? returnCode.map(String.init), returnCode: returnCode, message: message
        )
    }

    /// The detailed code inside a `return_msg`, if any.
    public static func innerCode(in message: String) -> String? {
        let scalars = Array(message.unicodeScalars)
        var index = 0
        while index < scalars.count {
            if scalars[index] == "[" {
                var cursor = index + 1
                if scalars[cursor...].starts(with: "CODE=".unicodeScalars) { cursor += 5 }
                let start = cursor
                while cursor < scalars.count, ("0"..."9").contains(scalars[cursor]) { cursor += 1 }
                if cursor > start, cursor < scalars.count, [":", "]", ","].contains(scalars[cursor]) {
                    return String(String.UnicodeScalarView(scalars[start..<cursor]))
                }
            }
            index += 1
        }
        return nil
    }
}
