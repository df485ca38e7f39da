import BrokerCore

/// Reads the KIS response envelope: `rt_cd`/`msg_cd`/`msg1`, or the OAuth shape `error_code`/`error_description`.
public enum KISEnvelope {
    /// The classified failure in an answer, or nil when the answer is a success.
    public static func failure(httpStatus: Int, body: JSONValue?) -> BrokerFailure? {
        let success = (200..<300).contains(httpStatus)
        if let code = body?["error_code"]?.text, !code.isEmpty {
            let message = body?["error_description"]?.text ?? ""
            return BrokerFailure(
                provider: .kis, category: BrokerErrorTaxonomy.kis(httpStatus: httpStatus, messageCode: code),
                httpStatus: httpStatus, code: code, message: message
            )
        }
        let returnCode = body?["rt_cd"]?.text
        if success, returnCode == nil || returnCode == "0" { return nil }
        let code = body?["msg_cd"]?.text
        let message = body?["msg1"]?.text ?? (success ? "rt_cd \(returnCode ?? "")" : "HTTP \(httpStatus)")
        return BrokerFailure(
            provider: .kis, category: BrokerErrorTaxonomy.kis(httpStatus: httpStatus, messageCode: code),
            httpStatus: httpStatus, code: code, message: message
        )
    }
}
