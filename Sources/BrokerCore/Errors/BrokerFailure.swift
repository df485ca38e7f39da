/// A broker's error answer, classified.
public struct BrokerFailure: Sendable, Hashable, CustomStringConvertible {
    public var provider: Provider
    public var category: BrokerErrorCategory
    /// HTTP status of the answer (0 when the transport failed before one arrived).
    public var httpStatus: Int
    /// The broker's detailed code: KIS `msg_cd` / OAuth `error_code` (e.g. `EGW00201`),
    /// Kiwoom's inner code (e.g. `1700`) or `return_code` when there is no inner code.
    public var code: String?
    /// Kiwoom's `return_code` category, when present.
    public var returnCode: Int?
    public var message: String

    public init(provider: Provider, category: BrokerErrorCategory, httpStatus: Int, code: String?, returnCode: Int? = nil, message: String) {
        self.provider = provider
        self.category = category
        self.httpStatus = httpStatus
        self.code = code
        self.returnCode = returnCode
        self.message = message
    }

    public var description: String {
        "\(provider.rawValue) \(category.rawValue) [HTTP \(httpStatus)\(code.map { ", \($0)" } ?? "")] \(message)"
    }
}
