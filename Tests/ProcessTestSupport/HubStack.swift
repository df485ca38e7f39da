import BrokerWire
import Foundation
import Testing

/// A mock broker process and a hub process serving it, as in production (separate processes, real HTTP).
struct HubStack: Sendable {
    let mock: ServerProcess
    let hub: ServerProcess
    let kisAppKey: String
    let kisSecret: String
    let environment: [String: String]

    /// Starts the mock (`mockArguments` added) and a hub over it (`hubEnvironment` added).
    static func start(mockArguments: [String] = [], hubEnvironment: [String: String] = [:]) async throws -> HubStack {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brokerhub-stack-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let credentials = directory.appendingPathComponent("credentials.json")
        let mock = try await ServerProcess.start(
            ["mock-broker", "--port", "0", "--always-open", "--market-speed", "5", "--write-credentials", credentials.path] + mockArguments,
            directory: directory
        )
        let keys = try #require(try JSONParser.parse(Array(Data(contentsOf: credentials)))["keys"]?.arrayValue)
        let kis = try #require(keys.first { $0["provider"]?.stringValue == "kis" && $0["kind"]?.stringValue == "real" })
        let kiwoom = try #require(keys.first { $0["provider"]?.stringValue == "kiwoom" })
        var environment = [
            "BROKERHUB_KIS_APPKEY": kis["appKey"]!.text, "BROKERHUB_KIS_APPSECRET": kis["secret"]!.text,
            "BROKERHUB_KIS_BASE_URL": mock.url, "BROKERHUB_KIS_ACCOUNT": "50000000-01",
            "BROKERHUB_KIWOOM_APPKEY": kiwoom["appKey"]!.text, "BROKERHUB_KIWOOM_SECRETKEY": kiwoom["secret"]!.text,
            "BROKERHUB_KIWOOM_BASE_URL": mock.url,
        ]
        for (name, value) in hubEnvironment { environment[name] = value }
        let hub = try await ServerProcess.start(
            ["serve", "--port", "0", "--data-dir", directory.appendingPathComponent("hub").path], environment: environment, directory: directory
        )
        return HubStack(mock: mock, hub: hub, kisAppKey: kis["appKey"]!.text, kisSecret: kis["secret"]!.text, environment: environment)
    }

    /// Restarts the hub process on the same store (after `stop()` or `kill()`).
    func restartHub() async throws -> ServerProcess {
        try await ServerProcess.start(
            ["serve", "--port", "0", "--data-dir", hub.directory.appendingPathComponent("hub").path], environment: environment, directory: hub.directory
        )
    }

    func mockStats(_ provider: String = "kis") async throws -> JSONValue {
        try #require(try await Web.get(mock.url + "/_mock/stats").json?[provider])
    }

    func setFaults(_ json: String) async throws {
        let answer = try await Web.post(mock.url + "/_mock/faults", json)
        #expect(answer.status == 200, "\(answer.text)")
    }

    func stop() {
        hub.stop()
        mock.stop()
    }

    static func quote(_ symbol: String = "005930") -> String {
        #"{"provider":"kis","tr_id":"FHKST01010100","params":{"FID_INPUT_ISCD":"\#(symbol)"}}"#
    }
}
