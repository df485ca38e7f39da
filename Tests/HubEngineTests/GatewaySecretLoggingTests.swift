import BrokerClients
import BrokerCore
import Foundation
import HubEngine
import Logging
import MockBroker
import Testing

/// Tokens, secrets and full app keys never reach a log line, whatever happens.
@Suite("Secrets never logged", .timeLimit(.minutes(5)), .serialized)
struct GatewaySecretLoggingTests {
    @Test("issuance, requests, expired-token recovery, retries and failures log no secret, token or full app key")
    func nothingSecretIsLogged() async throws {
        let sink = CapturingLogHandler.Sink()
        let capturedTokens = Collected<String>()
        try await HubMock.run { broker, baseURL in
            let logger = CapturingLogHandler.logger("test.secrets", into: sink)
            let rig = GatewayRig(broker, baseURL, logger: logger) { configuration in
                configuration.retry.maxAttempts = 2
                configuration.retry.baseDelay = .milliseconds(5)
                configuration.breaker.openDuration = .milliseconds(100)
            }
            var tokens: Set<String> = []

            // Issuance and successful requests on both brokers.
            #expect(await rig.run(try HubFixtures.kisQuote()).error == nil)
            #expect(await rig.run(try HubFixtures.kiwoomDaily(), maxPages: 1).error == nil)
            tokens.insert(try await rig.tokens.token(for: rig.kis))
            tokens.insert(try await rig.tokens.token(for: rig.kiwoom))

            // Expired-token recovery (invalidation and re-issue) on both.
            try await HubMock.expireTokens(baseURL)
            try await Task.sleep(for: .milliseconds(250)) // past the mock's KIS issuance interval
            #expect(await rig.run(try HubFixtures.kisQuote()).error == nil)
            #expect(await rig.run(try HubFixtures.kiwoomDaily("000660"), maxPages: 1).error == nil)
            tokens.insert(try await rig.tokens.token(for: rig.kis))
            tokens.insert(try await rig.tokens.token(for: rig.kiwoom))
            #expect(tokens.count == 4)

            // Failing requests: a permanent one, a 5xx storm with retries, an open circuit.
            #expect(await rig.run(try HubFixtures.kiwoomDaily("999999")).error != nil)
            try await HubMock.setFaults(baseURL, #"{"server_error_rate":1.0}"#)
            for _ in 0..<4 { #expect(await rig.run(try HubFixtures.kisQuote()).error != nil) }
            // A token issuance that fails and is retried (another KIS key, under the 5xx storm).
            let other = HubMock.account(broker, .kis, baseURL: baseURL, index: 1)
            await #expect(throws: BrokerHubError.self) { try await rig.tokens.token(for: other) }
            try await HubMock.setFaults(baseURL, "{}")
            // EGW00133 retry path: force a re-issue inside the interval.
            let kisToken = try await rig.tokens.token(for: rig.kis)
            try await HubMock.expireTokens(baseURL, provider: .kis)
            try await rig.tokens.invalidate(kisToken, for: rig.kis)
            tokens.insert(try await rig.tokens.token(for: rig.kis))
            await rig.tokens.refreshDue()
            for token in tokens { capturedTokens.append(token) }
        }

        let lines = sink.all
        #expect(lines.contains { $0.contains("token issued") }, "the capture works: \(lines.prefix(5))")
        #expect(lines.contains { $0.contains("token invalidated") })
        #expect(lines.contains { $0.contains("broker error") })
        #expect(lines.contains { $0.contains("retrying") })

        let keys = MockCredentials.generated(seed: HubMock.seed).keys
        for line in lines {
            for key in keys {
                #expect(!line.contains(key.secret), "secret in: \(line.prefix(200))")
                #expect(!line.contains(key.appKey), "full app key in: \(line.prefix(200))")
                // Not even a long piece of either.
                #expect(!line.contains(key.secret.prefix(24)), "part of a secret in: \(line.prefix(200))")
            }
            #expect(!line.contains("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9."), "a KIS token in: \(line.prefix(200))")
        }
        // Against every token value handed out.
        #expect(capturedTokens.count >= 5)
        for line in lines {
            for token in capturedTokens.all {
                #expect(!line.contains(token), "a token in: \(line.prefix(200))")
                #expect(!line.contains(token.suffix(24)), "part of a token in: \(line.prefix(200))")
            }
        }
    }
}
