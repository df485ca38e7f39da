import Foundation
import HubEngine
import Hummingbird
import Logging
import ServiceLifecycle

/// The hub's HTTP API as a `Service` (Hummingbird): `/v1/…`, the broker-native proxy under `/kis/…` and
/// `/kiwoom/…`, and the operations endpoints.
public struct HubHTTPServer: Service {
    let application: HubApplication
    let onListening: @Sendable (Int) async -> Void

    public init(application: HubApplication, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.application = application
        self.onListening = onListening
    }

    public func run() async throws {
        let configuration = application.configuration
        let router = Router()
        router.middlewares.add(APIKeyMiddleware(keys: Set(configuration.apiKeys)))
        let routes = HubRoutes(application: application)
        routes.register(on: router)
        let onListening = self.onListening
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "brokerhub"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: application.logger
        )
        try await app.runService()
    }
}
