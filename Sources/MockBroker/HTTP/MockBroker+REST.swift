import BrokerCore
import BrokerWire
import Foundation

extension MockBroker {
    /// Answers one REST request: control endpoints (`/_mock/…`), KIS and Kiwoom.
    public func handle(_ request: MockRequest) async -> MockResponse {
        if request.path.hasPrefix("/_mock") { return control(request) }
        var request = request
        let received = request.received ?? ContinuousClock.now
        let provider: Provider = request.path.hasPrefix("/api/dostk") || request.path == "/oauth2/token" || request.path == "/oauth2/revoke" ? .kiwoom : .kis
        // Every order that arrives is counted, whatever is answered: the test of "sent at most once".
        if request.path == Self.kisOrderPath { stats.update(.kis) { $0.ordersReceived += 1 } }
        let (delay, faulted) = await injectFaults(provider: provider, path: request.path)
        if let faulted { return faulted }
        request.arrival = received + delay
        switch request.path {
        case "/oauth2/tokenP": return kisIssueToken(request)
        case "/oauth2/revokeP": return kisRevokeToken(request)
        case "/oauth2/Approval": return kisApprovalKey(request)
        case "/uapi/hashkey": return kisHashKey(request)
        case Self.kisOrderPath: return kisOrder(request)
        case "/oauth2/token": return kiwoomIssueToken(request)
        case "/oauth2/revoke": return kiwoomRevokeToken(request)
        default:
            if request.path.hasPrefix("/uapi/") { return kisQuotation(request) }
            if request.path.hasPrefix("/api/dostk/") { return kiwoomTransaction(request) }
            stats.error(provider, "not_found")
            return kisError(404, code: "MCA00124", message: "해당 서비스를 찾을수 없습니다.")
        }
    }

    /// Latency, hangs and gateway errors, as configured; returns the injected network delay and a faulty
    /// answer when one fires.
    private func injectFaults(provider: Provider, path: String) async -> (Duration, MockResponse?) {
        let faults = self.faults
        var delay = faults.latencyMilliseconds
        if faults.jitterMilliseconds > 0 { delay += Int(chance() * Double(faults.jitterMilliseconds + 1)) }
        var injected = Duration.milliseconds(delay)
        if fires(faults.hangRate) {
            stats.fault(provider, "hang")
            injected = .milliseconds(Int64(faults.hangSeconds * 1000))
            try? await Task.sleep(for: injected)
        } else if delay > 0 {
            try? await Task.sleep(for: injected)
        }
        guard fires(faults.serverErrorRate) else { return (injected, nil) }
        stats.fault(provider, "server_error")
        let status = [500, 502, 503][Int(chance() * 3)]
        if status == 500, provider == .kis {
            return (injected, kisError(500, code: "EGW00001", message: "일시적인 오류가 발생했습니다."))
        }
        return (injected, MockResponse(status: status, headers: [("content-type", "text/html")], body: "<html><body><h1>\(status) Service Temporarily Unavailable</h1></body></html>"))
    }

    /// Reads a JSON object body; nil when it is not one.
    func jsonBody(_ request: MockRequest) -> [String: JSONValue]? {
        guard !request.body.isEmpty, let value = try? JSONParser.parse(request.body) else { return nil }
        return value.objectValue
    }
}
