import BrokerCore
import Foundation
import HTTPTypes
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import RealtimeGateway

/// The realtime gateway on the hub's port: a WebSocket upgrade at Kiwoom's path (`/api/dostk/websocket`) is a
/// Kiwoom-shaped client, one at any other path outside the hub's own `/v1/…` is a KIS-shaped one (KIS ignores
/// the path: clients use `/tryitout/H0STCNT0`, `/tryitout` or none). Each socket reads into
/// `RealtimeGateway.receive`, writes what the client's outbox yields, and sends the broker's heartbeat every
/// `heartbeat`.
///
/// The outbox's frames are written a batch at a time: one task on the socket's event loop writes the batch and
/// flushes once, and the writer waits until the batch is in the socket before it takes the next. Written one frame at
/// a time (`WebSocketOutboundWriter.write`), each frame was one task queued on the loop, and a loop runs every queued
/// task before it polls its sockets again: under sustained fan-out the loops stopped reading, and clients'
/// unsubscribes went unanswered (issue 15's read stall). A client that reads slower than its frames come keeps its
/// batch unwritten, so its outbox fills and drops its oldest; nothing queues without bound on the loop.
struct GatewaySocket: Sendable {
    let gateway: RealtimeGateway
    let clock: any HubClock

    /// The protocol a WebSocket upgrade at `path` speaks, or nil when the gateway does not serve it.
    func provider(forPath path: String) -> Provider? {
        let provider: Provider = path.hasPrefix("/api/dostk/websocket") ? .kiwoom : .kis
        if provider == .kis, path.hasPrefix("/v1/") || path.hasPrefix("/kiwoom/") || path.hasPrefix("/api/") { return nil }
        return gateway.collector.configuration.onDemand.contains(provider) ? provider : nil
    }

    /// Serves one client until either side closes.
    func serve(_ provider: Provider, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel, logger: Logger) async {
        let client = gateway.open(provider)
        let heartbeat = gateway.configuration.heartbeat
        let clock = self.clock
        await withThrowingTaskGroup(of: Void.self) { group in
            // Writer: the outbox in order; when it ends (closed, overflowed, refused LOGIN) it closes the socket.
            group.addTask {
                while let frames = await client.next() {
                    try await Self.write(frames, to: channel)
                }
                try? await outbound.close(.normalClosure, reason: client.closedFor.map { String($0.prefix(100)) })
            }
            group.addTask {
                while !Task.isCancelled {
                    try await clock.sleep(for: heartbeat)
                    client.heartbeat(at: clock.now)
                }
            }
            // Reader: until the client leaves, the writer closed the socket, or an answer ends the connection.
            do {
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    let text: String
                    switch message {
                    case .text(let value): text = value
                    case .binary(let buffer): text = String(buffer: buffer)
                    }
                    guard await gateway.receive(text, from: client) else { break }
                }
            } catch {
                logger.debug("gateway client read failed", metadata: ["gateway.error": "\(error)"])
            }
            // Released at once; the writer sends what is still queued (a refusal's answer) and closes.
            gateway.close(client)
            _ = try? await group.next()
            group.cancelAll()
        }
    }

    /// Writes `texts` as text frames in one task on the channel's event loop, flushed once, and returns when the last
    /// has been written to the socket (throws when the channel closed first). The frames go into the pipeline beside
    /// those of Hummingbird's own writer (pongs, the close frame), each whole; the gateway's WebSocket configuration
    /// has no extensions, so there is nothing for that writer to apply to them.
    static func write(_ texts: [String], to channel: any Channel) async throws {
        guard !texts.isEmpty else { return }
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute {
            for (index, text) in texts.enumerated() {
                let frame = WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(string: text))
                channel.write(frame, promise: index == texts.count - 1 ? written : nil)
            }
            channel.flush()
        }
        try await written.futureResult.get()
    }
}
