import BrokerCore
import BrokerWire
import Foundation

extension MockBroker {
    /// `/_mock/…`: statistics, runtime fault control and health.
    func control(_ request: MockRequest) -> MockResponse {
        switch (request.method, request.path) {
        case ("GET", "/_mock/stats"):
            return .json(200, stats.json())
        case ("GET", "/_mock/health"):
            return .json(200, #"{"status":"ok"}"#)
        case ("GET", "/_mock/faults"):
            return .json(200, faultsJSON())
        case ("POST", "/_mock/faults"), ("PUT", "/_mock/faults"):
            do {
                faults = try JSONDecoder().decode(FaultProfile.self, from: Data(request.body))
                logger.info("faults changed", metadata: ["mock.faults": "\(faultsJSON())"])
                return .json(200, faultsJSON())
            } catch {
                return controlError(400, "invalid fault profile: \(error)")
            }
        case ("GET", "/_mock/realtime"):
            return .json(200, Self.sortedJSON(realtime))
        case ("POST", "/_mock/realtime"), ("PUT", "/_mock/realtime"):
            do {
                realtime = try JSONDecoder().decode(RealtimeControl.self, from: Data(request.body))
                logger.info("realtime control changed", metadata: ["mock.realtime": "\(Self.sortedJSON(realtime))"])
                return .json(200, Self.sortedJSON(realtime))
            } catch {
                return controlError(400, "invalid realtime control: \(error)")
            }
        case ("POST", "/_mock/expire-tokens"):
            let providers = request.parameter("provider").flatMap(Provider.init(rawValue:)).map { [$0] } ?? Provider.allCases
            var expired = 0
            for provider in providers {
                let count = tokens.expireAll(provider: provider, now: Date())
                if count > 0 { stats.fault(provider, "token_expired_early") }
                expired += count
            }
            return .json(200, #"{"expired":\#(expired)}"#)
        case ("POST", "/_mock/expire-approvals"):
            let count = tokens.expireApprovalKeys()
            if count > 0 { stats.fault(.kis, "approval_expired_early") }
            return .json(200, #"{"expired":\#(count)}"#)
        case ("POST", "/_mock/disconnect"):
            let closed = sessions.disconnectAll()
            for provider in Provider.allCases where closed > 0 { stats.fault(provider, "ws_disconnect_requested") }
            return .json(200, #"{"disconnected":\#(closed)}"#)
        case ("GET", "/_mock/universe"):
            // The symbol list a scheduled snapshot covers (`brokerhub snapshot --universe-url`), one code a line.
            return MockResponse(status: 200, headers: [("content-type", "text/plain; charset=utf-8")], body: market.universe.symbols.map { $0.code + "\n" }.joined())
        case ("GET", "/_mock/market"):
            let now = marketNow
            var object = JSONWriter.Object()
            object.add("market_time", KST.iso8601(now))
            object.add("phase", market.calendar.phase(at: now).rawValue)
            object.add("speed", number: String(clock.speed))
            object.add("always_open", clock.alwaysOpen)
            object.add("symbols", Int64(market.universe.count))
            object.add("seed", number: String(configuration.seed))
            return .json(200, object.json)
        default:
            return controlError(404, "no such control endpoint: \(request.method) \(request.path)")
        }
    }

    private func faultsJSON() -> String { Self.sortedJSON(faults) }

    static func sortedJSON(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    private func controlError(_ status: Int, _ message: String) -> MockResponse {
        var object = JSONWriter.Object()
        object.add("error", message)
        return .json(status, object.json)
    }
}
