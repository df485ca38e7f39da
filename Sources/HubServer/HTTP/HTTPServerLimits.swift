import BrokerCore
import Hummingbird
import HTTPTypes
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore

/// What every BrokerHub HTTP server (the hub, the workers' operations endpoint) allows one client before any
/// authentication (issue #18 item 3): connections beyond `maxConnections` wait in the listen backlog until
/// one closes (the server stops accepting; it never runs out of file descriptors), a connection without a
/// request for `idleTimeout` is closed (slow or abandoned clients, HTTP/1.0 without keep-alive), and header
/// blocks over `maxHeaderBytes` are refused by the parser. A request must arrive within `requestTimeout`
/// (head, then body), however its bytes trickle in: a client that drips a byte at a time gets 408. The cap
/// stops the accept loop once it is reached, so connections arriving in the same burst may pass it by a few.
public struct HTTPServerLimits: Sendable {
    public var maxConnections = 512
    public var idleTimeout: Duration = .seconds(30)
    public var maxHeaderBytes = 32 * 1024
    public var requestTimeout: Duration = .seconds(30)

    public init() {}

    /// The HTTP/1.1 server with these limits.
    public var server: HTTPServerBuilder { .http1(configuration: http1) }

    /// The same server that also takes WebSocket upgrades `shouldUpgrade` accepts (the realtime gateway); an
    /// upgraded connection is no longer held to the idle time (the gateway's heartbeats keep it alive).
    func webSocketServer(
        shouldUpgrade: @escaping @Sendable (HTTPRequest, any Channel, Logger) async throws -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>
    ) -> HTTPServerBuilder {
        .http1WebSocketUpgrade(
            configuration: .init(http1: http1, ws: .init(maxFrameSize: 1 << 16, closeTimeout: .seconds(5))), shouldUpgrade: shouldUpgrade
        )
    }

    private var http1: HTTP1Channel.Configuration {
        let requestTimeout = TimeAmount.nanoseconds(Int64(self.requestTimeout.timeInterval * 1e9))
        return .init(
            additionalChannelHandlers: [RequestDeadlineHandler(timeout: requestTimeout)],
            idleTimeout: .nanoseconds(Int64(idleTimeout.timeInterval * 1e9)),
            httpDecoderConfiguration: .init(maxHeaderFieldSize: maxHeaderBytes, maxHeaderListSize: maxHeaderBytes, maxHeaderFieldCount: 200)
        )
    }

    /// The application configuration: `address`, the name in `Server`, and the connection cap.
    public func configuration(address: BindAddress, serverName: String) -> ApplicationConfiguration {
        ApplicationConfiguration(address: address, serverName: serverName, availableConnectionsDelegate: MaximumAvailableConnections(maxConnections))
    }
}
