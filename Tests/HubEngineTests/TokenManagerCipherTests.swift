import BrokerClients
import BrokerCore
import Foundation
import HubEngine
import Testing

/// `TokenCipher`: AES-GCM at rest for the token manager's store.
@Suite("TokenCipher", .timeLimit(.minutes(5)))
struct TokenManagerCipherTests {
    static let token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9.secret-token-value-0123456789"

    @Test("seal then open round-trips; the box hides the text and differs each time")
    func roundTrip() throws {
        let cipher = HubFixtures.cipher()
        let sealed = try cipher.seal(Self.token)
        #expect(try cipher.open(sealed) == Self.token)
        #expect(!String(decoding: sealed, as: UTF8.self).contains("secret-token-value"))
        #expect(sealed.range(of: Data(Self.token.utf8)) == nil)
        let again = try cipher.seal(Self.token)
        #expect(again != sealed, "a fresh nonce per seal")
        #expect(try cipher.open(again) == Self.token)
        #expect(try cipher.open(try cipher.seal("")) == "")
        let unicode = "토큰-🔑"
        #expect(try cipher.open(try cipher.seal(unicode)) == unicode)
    }

    @Test("a wrong key, a tampered box or garbage fails with config.invalid")
    func wrongKeyFails() throws {
        let sealed = try HubFixtures.cipher(1).seal(Self.token)
        let wrong = #expect(throws: BrokerHubError.self) { try HubFixtures.cipher(2).open(sealed) }
        #expect(wrong?.code == .invalidConfiguration)

        var tampered = sealed
        tampered[tampered.count - 1] ^= 0x01
        let tamperedError = #expect(throws: BrokerHubError.self) { try HubFixtures.cipher(1).open(tampered) }
        #expect(tamperedError?.code == .invalidConfiguration)

        let garbage = #expect(throws: BrokerHubError.self) { try HubFixtures.cipher(1).open(Data([1, 2, 3])) }
        #expect(garbage?.code == .invalidConfiguration)
    }

    @Test("key material must be base64 of exactly 32 bytes", arguments: ["", "not base64!", Data(count: 16).base64EncodedString(), Data(count: 33).base64EncodedString()])
    func badKeyMaterial(text: String) {
        let error = #expect(throws: BrokerHubError.self) { try TokenCipher(base64: text) }
        #expect(error?.code == .invalidConfiguration)
    }

    @Test("load creates the key file with mode 0600 (and its directory), then reuses it")
    func keyFileCreatedPrivateAndReused() throws {
        let directory = TemporaryDirectory("TokenCipher")
        let keyFile = directory.url.appendingPathComponent("nested/dir/token.key").path
        #expect(!FileManager.default.fileExists(atPath: keyFile))

        let first = try TokenCipher.load(environment: [:], keyFile: keyFile)
        #expect(FileManager.default.fileExists(atPath: keyFile))
        let attributes = try FileManager.default.attributesOfItem(atPath: keyFile)
        let permissions = try #require(attributes[.posixPermissions] as? NSNumber).intValue
        #expect(permissions & 0o777 == 0o600, "mode \(String(permissions, radix: 8))")
        let contents = try String(contentsOfFile: keyFile, encoding: .utf8)
        #expect(Data(base64Encoded: contents.trimmingCharacters(in: .whitespacesAndNewlines))?.count == 32)

        let sealed = try first.seal(Self.token)
        let second = try TokenCipher.load(environment: [:], keyFile: keyFile)
        #expect(try second.open(sealed) == Self.token, "the same key is reused")
        #expect(try String(contentsOfFile: keyFile, encoding: .utf8) == contents, "the file is not rewritten")
    }

    @Test("two fresh key files hold different keys")
    func freshKeysDiffer() throws {
        let directory = TemporaryDirectory("TokenCipher")
        let one = try TokenCipher.load(environment: [:], keyFile: directory.path("one.key"))
        let two = try TokenCipher.load(environment: [:], keyFile: directory.path("two.key"))
        #expect(throws: BrokerHubError.self) { try two.open(try one.seal(Self.token)) }
    }

    @Test("BROKERHUB_TOKEN_KEY wins over the key file and creates no file")
    func environmentWins() throws {
        let directory = TemporaryDirectory("TokenCipher")
        let keyFile = directory.path("token.key")
        let environmentKey = Data(repeating: 9, count: 32).base64EncodedString()

        // No file is created when the environment supplies the key.
        let fromEnvironment = try TokenCipher.load(environment: ["BROKERHUB_TOKEN_KEY": environmentKey], keyFile: keyFile)
        #expect(!FileManager.default.fileExists(atPath: keyFile))
        #expect(try HubFixtures.cipher(9).open(try fromEnvironment.seal(Self.token)) == Self.token)

        // With a (different) key file present, the environment still wins.
        let fromFile = try TokenCipher.load(environment: [:], keyFile: keyFile)
        let again = try TokenCipher.load(environment: ["BROKERHUB_TOKEN_KEY": environmentKey], keyFile: keyFile)
        #expect(try again.open(try fromEnvironment.seal(Self.token)) == Self.token)
        #expect(throws: BrokerHubError.self) { try again.open(try fromFile.seal(Self.token)) }

        // An empty variable falls back to the file.
        let empty = try TokenCipher.load(environment: ["BROKERHUB_TOKEN_KEY": ""], keyFile: keyFile)
        #expect(try empty.open(try fromFile.seal(Self.token)) == Self.token)

        // A malformed variable is an error, not a silent fallback.
        let error = #expect(throws: BrokerHubError.self) {
            try TokenCipher.load(environment: ["BROKERHUB_TOKEN_KEY": "short"], keyFile: keyFile)
        }
        #expect(error?.code == .invalidConfiguration)
    }
}

/// Issue #18 item 2: a broker's token answer with an absurd lifetime is believed for at most a year.
@Suite("Issued tokens: hostile lifetimes", .timeLimit(.minutes(1)))
struct IssuedTokenLifetimeTests {
    @Test(arguments: [9.2e18, 1e300, Double.infinity, Double.nan, -5])
    func lifetimesAreClamped(seconds: Double) {
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        let token = IssuedToken(value: "t", expiresAt: now.addingTimeInterval(seconds), issuedAt: now)
        #expect(token.expiresAt >= now)
        #expect(token.expiresAt <= now.addingTimeInterval(IssuedToken.maximumLifetime))
        #expect(!KST.iso8601(token.expiresAt).isEmpty)
    }
}
