import BrokerCore
import Foundation
import Realtime
import Synchronization

/// The bounded buffer between socket readers and the bus publisher. Readers never wait for the bus: they
/// append and go on, unless `capacity` events are already waiting — then they wait (backpressure reaches the
/// socket), so market data is never dropped. Event ids are `{runID}-{sequence}`, the sequence increasing
/// in append order.
final class EventBuffer: Sendable {
    private struct State {
        var events: [RealtimeEvent] = []
        var sequence: UInt64 = 0
        var producers: [CheckedContinuation<Bool, Never>] = []
        var consumer: CheckedContinuation<Void, Never>?
        var finished = false
    }

    struct Item: Sendable {
        var channel: RealtimeChannel
        var provider: Provider
        var symbol: String
        var receivedAt: Date
        var payload: RealtimeEvent.Payload
    }

    let runID: String
    let capacity: Int
    private let state = Mutex(State())

    init(runID: String, capacity: Int) {
        self.runID = runID
        self.capacity = max(1, capacity)
    }

    var count: Int { state.withLock { $0.events.count } }

    /// Appends items as events, waiting while the buffer is full.
    func append(_ items: [Item]) async {
        guard !items.isEmpty else { return }
        while true {
            let appended: Bool = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let wake: CheckedContinuation<Void, Never>?? = state.withLock { state in
                    guard state.events.count < capacity || state.finished else {
                        state.producers.append(continuation)
                        return .none
                    }
                    for item in items {
                        state.sequence += 1
                        state.events.append(RealtimeEvent(
                            id: "\(runID)-\(state.sequence)", channel: item.channel, provider: item.provider, symbol: item.symbol,
                            receivedAt: item.receivedAt, payload: item.payload
                        ))
                    }
                    defer { state.consumer = nil }
                    return .some(state.consumer)
                }
                switch wake {
                case .none: break
                case .some(let consumer):
                    consumer?.resume()
                    continuation.resume(returning: true)
                }
            }
            if appended { return }
        }
    }

    /// Up to `maximum` events, waiting for the first; nil once finished and drained.
    func take(maximum: Int) async -> [RealtimeEvent]? {
        while true {
            var result: [RealtimeEvent]?
            var done = false
            var producers: [CheckedContinuation<Bool, Never>] = []
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.events.isEmpty {
                        let batch = Array(state.events.prefix(maximum))
                        state.events.removeFirst(batch.count)
                        result = batch
                        producers = state.producers
                        state.producers.removeAll()
                        return true
                    }
                    if state.finished {
                        done = true
                        return true
                    }
                    state.consumer = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            for producer in producers { producer.resume(returning: false) }
            if let result { return result }
            if done { return nil }
        }
    }

    /// No more appends are expected: `take` drains what is left, then returns nil. Waiting producers are let in.
    func finish() {
        let (consumer, producers) = state.withLock { state in
            state.finished = true
            defer {
                state.consumer = nil
                state.producers.removeAll()
            }
            return (state.consumer, state.producers)
        }
        consumer?.resume()
        for producer in producers { producer.resume(returning: false) }
    }
}
