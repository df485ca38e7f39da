import RedisClient
import Testing

@Suite("RedisConfiguration URLs", .timeLimit(.minutes(5)))
struct RedisConfigurationTests {
    @Test("defaults and every URL part")
    func parse() throws {
        let plain = try RedisConfiguration(url: "redis://localhost")
        #expect(plain.host == "localhost" && plain.port == 6379 && plain.database == 0)
        #expect(plain.username == nil && plain.password == nil)
        #expect(plain.poolSize == 4 && plain.connectTimeout == .seconds(2) && plain.commandTimeout == .seconds(5))

        let full = try RedisConfiguration(url: "redis://user:p%40ss@10.0.0.1:6380/3")
        #expect(full.host == "10.0.0.1" && full.port == 6380 && full.database == 3)
        #expect(full.username == "user" && full.password == "p@ss")
        #expect(full.redactedURL == "redis://user:***@10.0.0.1:6380/3")
        #expect(!full.redactedURL.contains("p@ss"))

        let passwordOnly = try RedisConfiguration(url: "redis://:secret@h:1/0")
        #expect(passwordOnly.username == nil && passwordOnly.password == "secret")
        #expect(passwordOnly.redactedURL == "redis://:***@h:1/0")

        let v6 = try RedisConfiguration(url: "redis://[::1]:7000")
        #expect(v6.host == "::1" && v6.port == 7000)
    }

    @Test("invalid URLs are rejected with .invalidURL, rediss explains that TLS is unsupported",
          arguments: [
              "rediss://h:6379", "http://h", "redis://", "redis://h:0", "redis://h:x", "redis://h/-1", "redis://h/db", "h:6379",
              "redis://a:1,b:2", "redis+cluster://", "redis+cluster://a:1,", "redis+cluster://a:1/2",
          ])
    func invalid(_ url: String) {
        do {
            _ = try RedisConfiguration(url: url)
            Issue.record("\(url) was accepted")
        } catch let error as RedisError {
            #expect(error.code == .invalidURL)
            if url.hasPrefix("rediss") { #expect(error.message.contains("TLS")) }
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("redis+cluster:// names seed nodes; the first is host/port; the redacted URL lists them")
    func cluster() throws {
        let cluster = try RedisConfiguration(url: "redis+cluster://:pw@10.0.0.1:7000,10.0.0.2,[::1]:7002")
        #expect(cluster.isCluster)
        #expect(cluster.clusterSeeds == [
            RedisEndpoint(host: "10.0.0.1", port: 7000), RedisEndpoint(host: "10.0.0.2", port: 6379), RedisEndpoint(host: "::1", port: 7002),
        ])
        #expect(cluster.host == "10.0.0.1" && cluster.port == 7000 && cluster.password == "pw")
        #expect(cluster.redactedURL == "redis+cluster://:***@10.0.0.1:7000,10.0.0.2:6379,[::1]:7002")
        #expect(try !RedisConfiguration(url: "redis://h:1").isCluster)
    }

    @Test("a password never appears in the error for a bad URL")
    func redactedInErrors() {
        do {
            _ = try RedisConfiguration(url: "redis://u:topsecret@h:99999")
        } catch {
            #expect(!"\(error)".contains("topsecret"))
        }
    }
}
