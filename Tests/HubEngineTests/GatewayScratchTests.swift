import BrokerClients
import BrokerCore
import BrokerWire
import Foundation
import HubEngine
import MockBroker
import Testing

@Suite struct GatewayScratchTests {
    @Test func timing() async throws {
        try await HubMock.run { broker, baseURL in
            let rig = GatewayRig(broker, baseURL)
            let t0 = ContinuousClock.now
            let o1 = await rig.run(try HubFixtures.kiwoomDaily(), maxPages: 1)
            print("one page", ContinuousClock.now - t0, o1.error as Any)
            let t1 = ContinuousClock.now
            let o2 = await rig.run(try HubFixtures.kiwoomDaily(), maxPages: 2)
            print("two pages", ContinuousClock.now - t1, o2.error as Any)
            let t2 = ContinuousClock.now
            _ = o2.json
            print("json", ContinuousClock.now - t2)
        }
    }
}
