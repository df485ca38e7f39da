/// Maps a broker's answer — HTTP status and codes — to a `BrokerErrorCategory`.
///
/// Pure: the envelope readers in `BrokerWire` extract the codes and call these functions.
public enum BrokerErrorTaxonomy {
    /// Classifies a KIS failure from its HTTP status and `msg_cd` (or OAuth `error_code`).
    public static func kis(httpStatus: Int, messageCode: String?) -> BrokerErrorCategory {
        if let code = messageCode?.uppercased(), !code.isEmpty, let known = kisCodes[code] {
            return known
        }
        return fromHTTPStatus(httpStatus)
    }

    /// Classifies a Kiwoom failure from its HTTP status, `return_code` and the inner `[NNNN:` code.
    ///
    /// `return_code` 5 is rate limiting only with inner code 1700/1701/1702 (or HTTP 429 with none);
    /// the same category with another inner code (e.g. 1634) is a permanent failure.
    public static func kiwoom(httpStatus: Int, returnCode: Int?, innerCode: String?) -> BrokerErrorCategory {
        if let inner = innerCode, let number = Int(inner) {
            if let known = kiwoomCodes[number] { return known }
            switch number {
            case 1500...1699: return .permanent
            case 1900...1909: return .notFound
            case 8000...8299: return .permanent
            default: break
            }
            if returnCode == 5 { return .permanent }
        }
        switch returnCode {
        case 1, 2, 20: return .permanent
        case 3: return .tokenInvalid
        case 5: return httpStatus == 429 ? .rateLimited : .permanent
        default: return fromHTTPStatus(httpStatus)
        }
    }

    /// The category an HTTP status implies when the body says nothing more specific.
    public static func fromHTTPStatus(_ status: Int) -> BrokerErrorCategory {
        switch status {
        case 429: .rateLimited
        case 401: .tokenInvalid
        case 404: .notFound
        case 408, 425, 500...599, 0: .transient
        default: .permanent
        }
    }

    static let kisCodes: [String: BrokerErrorCategory] = [
        "EGW00201": .rateLimited,
        "EGW00215": .rateLimited,
        "EGW00121": .tokenInvalid,
        "EGW00122": .tokenInvalid,
        "EGW00123": .tokenExpired,
        "EGW00133": .tokenIssueTooFrequent,
        "EGW00103": .permanent,
        "EGW00105": .permanent,
        "EGW00205": .permanent,
        "EGW00206": .permanent,
        "EGW02004": .permanent,
        "EGW02006": .permanent, // the mock's "not offered on paper" (모의투자 미지원): the sheet names no code of its own
        "MCA00124": .permanent,
        "OPSQ0002": .permanent,
        "OPSQ2001": .permanent,
    ]

    static let kiwoomCodes: [Int: BrokerErrorCategory] = [
        1687: .rateLimited, // recursive-call block: slow down
        1700: .rateLimited,
        1701: .rateLimited,
        1702: .rateLimited,
        1999: .transient,
        8003: .tokenInvalid,
        8005: .tokenExpired,
        8006: .tokenInvalid,
        8009: .tokenInvalid,
        8031: .tokenInvalid,
        8103: .tokenInvalid,
    ]
}
