import BrokerCore
import Foundation
import HummingbirdWebSocket
import NIOCore
import Synchronization

/// Runs one mock realtime connection for either broker: registers it (so a second session of the app key
/// can close or replace it), reads client messages and writes the protocol's replies, and every push
/// interval sends the heartbeat (closing the connection when the last one went unanswered), applies the
/// injected faults (disconnect after N s, stall, fragment/corrupt) and writes the frames that became due.
final class MockRealtimeRunner<Protocol: MockRealtimeProtocol>: Sendable {
    private struct State {
        var heartbeatOutstanding = false
        var pendingClose: MockRealtimeClose?
    }

    let broker: MockBroker
    let channel: any Channel
    let session: Protocol
    private let state = Mutex(State())

    init(broker: MockBroker, channel: any Channel, session: Protocol) {
        self.broker = broker
        self.channel = channel
        self.session = session
    }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let channel = self.channel
        let provider = session.provider
        if session.acceptsPongFrames {
            try await PongObserver.install(on: channel) { [weak self] in self?.state.withLock { $0.heartbeatOutstanding = false } }
        }
        let id = broker.sessions.register { [weak self] reason in
            switch reason {
            case .abnormal:
                channel.close(promise: nil)
            case .replaced:
                if let close = self?.session.replaced() { self?.state.withLock { $0.pendingClose = close } } else { channel.close(promise: nil) }
            }
        }
        broker.stats.update(provider) {
            $0.wsSessions += 1
            $0.wsSessionsTotal += 1
        }
        defer {
            broker.sessions.unregister(id)
            let count = session.registrationCount
            broker.stats.update(provider) {
                $0.wsSessions -= 1
                $0.wsSubscriptions -= count
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    let reply = self.session.receive(text, session: id)
                    if reply.heartbeatAnswered { self.state.withLock { $0.heartbeatOutstanding = false } }
                    for text in reply.replies { try await outbound.write(.text(text)) }
                    if let close = reply.close {
                        try await self.perform(close, outbound)
                        return
                    }
                }
            }
            group.addTask { try await self.push(outbound) }
            try await group.next()
            group.cancelAll()
        }
    }

    private func perform(_ close: MockRealtimeClose, _ outbound: WebSocketOutboundWriter) async throws {
        if let error = close.statsError { broker.stats.error(session.provider, error) }
        if let farewell = close.farewell { try await outbound.write(.text(farewell)) }
        try? await outbound.close(close.code, reason: close.reason)
    }

    /// Every push interval: a pending close, the disconnect fault, the heartbeat, then the due frames.
    private func push(_ outbound: WebSocketOutboundWriter) async throws {
        let provider = session.provider
        let clock = ContinuousClock()
        let started = clock.now
        let configuration = broker.configuration
        var nextPing = started + configuration.pingInterval
        while !Task.isCancelled {
            try await Task.sleep(for: configuration.pushInterval)
            if let close = state.withLock({ $0.pendingClose }) {
                try await perform(close, outbound)
                return
            }
            let faults = broker.faults
            let elapsed = (clock.now - started).timeInterval
            if let after = faults.disconnectAfterSeconds, elapsed >= after {
                broker.stats.fault(provider, "ws_disconnect")
                channel.close(promise: nil)
                return
            }
            if clock.now >= nextPing {
                let unanswered = state.withLock { state -> Bool in
                    defer { state.heartbeatOutstanding = true }
                    return state.heartbeatOutstanding
                }
                if unanswered {
                    try await perform(session.heartbeatUnanswered(), outbound)
                    return
                }
                try await outbound.write(.text(session.heartbeat()))
                nextPing = clock.now + configuration.pingInterval
            }
            if elapsed < faults.stallSeconds { continue }
            for frame in session.collect() {
                for part in broker.faulted(provider, frame) { try await outbound.write(.text(part)) }
            }
        }
    }
}
