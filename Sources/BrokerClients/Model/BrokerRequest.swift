import BrokerCore
import BrokerWire

/// One HTTP exchange with a broker, before authentication headers are added.
public struct BrokerRequest: Sendable, Hashable, Codable {
    public var provider: Provider
    /// TR id or api-id (for budgets, metrics and breakers).
    public var transaction: String
    public var method: String
    /// Path with no query, e.g. `/uapi/domestic-stock/v1/quotations/inquire-price`.
    public var path: String
    /// Query parameters in order.
    public var query: [QueryItem]
    /// Extra headers (`tr_cont`, `custtype`, `cont-yn`, `next-key`, …); auth headers are the client's.
    public var headers: [QueryItem]
    public var body: [UInt8]

    public struct QueryItem: Sendable, Hashable, Codable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(
        provider: Provider, transaction: String, method: String, path: String,
        query: [QueryItem] = [], headers: [QueryItem] = [], body: [UInt8] = []
    ) {
        self.provider = provider
        self.transaction = transaction
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The value of an extra header (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// A broker's raw answer.
public struct BrokerResponse: Sendable, Hashable, Codable {
    public var status: Int
    /// Response headers with lower-cased names.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

extension BrokerRequest {
    /// What was asked: the query items and the JSON body's fields (names case-insensitive), as the
    /// normalisers read them.
    public var parameters: RequestParameters {
        var parameters = RequestParameters([:])
        for item in query { parameters[item.name] = item.value }
        if let body = try? JSONParser.parse(body), let fields = body.objectValue {
            for (name, value) in fields { parameters[name] = value.text }
        }
        return parameters
    }
}
