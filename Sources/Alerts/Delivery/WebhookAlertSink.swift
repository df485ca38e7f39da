import AsyncHTTPClient
import Foundation
import NIOCore

/// POSTs each notice to a webhook: Slack's incoming-webhook body (`{"text": …}`, also what Mattermost and
/// Discord's `/slack` endpoints take) or the generic JSON body with every field. 2xx is delivered; 408, 429
/// and 5xx (or no answer) are retried by the deliverer; any other status is permanent.
public struct WebhookAlertSink: AlertSink {
    public enum Format: String, Sendable, CaseIterable {
        case slack
        case json
    }

    public let url: String
    public let format: Format
    public let timeout: Duration
    private let client: HTTPClient

    /// `client` is shared and shut down by the caller.
    public init(url: String, format: Format = .slack, timeout: Duration = .seconds(10), client: HTTPClient = .shared) {
        self.url = url
        self.format = format
        self.timeout = timeout
        self.client = client
    }

    public var name: String { "webhook" }

    public func deliver(_ notice: AlertNotice) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: format == .slack ? notice.slackJSON : notice.json))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.timeInterval * 1e9)))
            _ = try await response.body.collect(upTo: 64 * 1024)
        } catch {
            throw AlertDeliveryError("the webhook did not answer", underlying: error)
        }
        let status = Int(response.status.code)
        guard !(200..<300).contains(status) else { return }
        let retried = status == 408 || status == 429 || status >= 500
        throw AlertDeliveryError("the webhook answered HTTP \(status)", permanent: !retried)
    }
}
