import BrokerHubTesting
import BrokerCore
import Foundation
import Realtime
import RedisClient
import Testing

/// What only the Redis bus promises: streams and counters agree, Pub/Sub reaches other processes.
@Suite("RedisEventBus", .timeLimit(.minutes(10)), .enabled(if: PipelineTestEnvironment.redisURL != nil, "needs BROKERHUB_TEST_REDIS_URL (scripts/test.sh and CI start redis-server)"))
struct BusRedisTests {
    @Test("stream lengths equal the published counts, one stream per channel")
    func streamsAgreeWithCounts() async throws {
        let harness = try BusHarness(.redis)
        let bus = try #require(try harness.open() as? RedisEventBus)
        let events = BusEventSamples.mixed(count: 250)
        try await bus.publish(Array(events.prefix(100)))
        try await bus.publish(Array(events.dropFirst(100)))
        let counts = try await bus.publishedCounts()
        for channel in RealtimeChannel.allCases {
            let length = try await bus.client.xlen(bus.streamKey(channel))
            let counted = counts.filter { $0.key.channel == channel }.values.reduce(0, +)
            #expect(Int64(length) == counted, "\(channel)")
            #expect(length == events.filter { $0.channel == channel }.count)
        }
        await harness.tearDown()
    }

    /// Issue #19's TCP-cut stress run found 500 events "missing" that were stored: the reply to an applied
    /// publish was lost with its connection, the collector sent the batch again, and the counts counted it
    /// twice. A batch published again changes nothing.
    @Test("publishing the same batch again (a retry after a lost reply) neither counts nor appends it twice")
    func aRetriedBatchIsAppliedOnce() async throws {
        let harness = try BusHarness(.redis)
        let bus = try #require(try harness.open() as? RedisEventBus)
        let events = BusEventSamples.mixed(count: 120)
        try await bus.publish(events)
        try await bus.publish(events)
        try await bus.publish(Array(events.prefix(60)))  // a different batch (other first/last/count) still counts
        let counts = try await bus.publishedCounts()
        #expect(counts.values.reduce(0, +) == 180)
        var length = 0
        for channel in RealtimeChannel.allCases { length += try await bus.client.xlen(bus.streamKey(channel)) }
        #expect(length == 180)
        await harness.tearDown()
    }

    @Test("live messages are plain Redis Pub/Sub on ticker.{symbol}")
    func livePubSubChannels() async throws {
        let harness = try BusHarness(.redis)
        let bus = try #require(try harness.open() as? RedisEventBus)
        let subscription = try await bus.client.subscribe(patterns: [bus.configuration.livePrefix + "ticker.*"])
        let event = BusEventSamples.tick(id: "live-1", symbol: "005930")
        try await bus.publish([event])
        var iterator = subscription.makeAsyncIterator()
        let message = try #require(await iterator.next())
        #expect(message.channel == bus.configuration.livePrefix + "ticker.005930")
        #expect(try RealtimeEventCodec.decode(message.payload) == event)
        subscription.cancel()
        await harness.tearDown()
    }

    @Test("a position that is not a stream position is refused")
    func foreignPosition() async throws {
        let harness = try BusHarness(.redis)
        let bus = try harness.open()
        let error = await #expect(throws: BrokerHubError.self) {
            try await bus.acknowledge([BusDelivery(position: "42", event: BusEventSamples.tick())], group: "g")
        }
        #expect(error?.code == .invalidArgument)
        await harness.tearDown()
    }
}
