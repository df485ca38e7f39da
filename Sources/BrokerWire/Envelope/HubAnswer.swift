import BrokerCore

/// A BrokerHub HTTP answer as its clients read it (`brokerhub snapshot --hub`, `brokerhub history --hub`): the JSON
/// document of a 200, or the hub's error (`{"error":{"code","message"}}`) as a `BrokerHubError` with the hub's own code.
public enum HubAnswer {
    public static func document(status: UInt, body: [UInt8]) throws -> JSONValue {
        let document: JSONValue
        do {
            document = try JSONParser.parse(body)
        } catch {
            throw BrokerHubError(.malformedPayload, "hub answered \(status) with a body that is not JSON", underlying: error)
        }
        guard status == 200 else {
            let code = document["error"]?["code"]?.stringValue ?? "hub.http_\(status)"
            let message = document["error"]?["message"]?.stringValue ?? "HTTP \(status)"
            throw BrokerHubError(BrokerHubError.Code(rawValue: code), message)
        }
        return document
    }
}
