import ArgumentParser
import BrokerClients
import BrokerCore
import BrokerWire
import Foundation
import HubEngine
import HubServer
import Logging

/// `brokerhub tokens show|revoke`: the tokens in a hub's token store (embedded or Redis), never their values.
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Show the tokens in the hub's store, or revoke one at the broker (no token or secret is ever printed).",
        discussion: """
        The store and accounts come from the hub's configuration (--config, BROKERHUB_* variables, a secrets file), \
        the embedded store from --data-dir, Redis from --redis (with BROKERHUB_TOKEN_KEY). Exit codes: 0 done, 1 \
        nothing to revoke, 64 bad arguments, 69 the store or the broker cannot be reached.
        """,
        subcommands: [Show.self, Revoke.self]
    )

    /// Where the hub keeps its tokens.
    struct StoreOptions: ParsableArguments {
        @Option(help: "JSON configuration file of the hub.")
        var config: String?

        @Option(help: "Directory of the hub's embedded store (default: BROKERHUB_DATA_DIR or ./var/brokerhub).")
        var dataDir: String?

        @Option(help: "The hub's Redis in distributed mode, redis://[:password@]host:port/db.")
        var redis: String?

        /// The hub's configuration with these options over it, and its token manager.
        func open() throws -> (configuration: HubConfiguration, tokens: TokenManager) {
            var configuration: HubConfiguration
            do {
                configuration = try HubConfiguration.load(file: config)
            } catch let error as BrokerHubError {
                throw ValidationError(error.message)
            }
            if let dataDir { configuration.dataDirectory = dataDir }
            if let redis { configuration.redisURL = redis }
            var quiet = Logger(label: "brokerhub.tokens")
            quiet.logLevel = .warning
            do {
                // The store alone (Redis connections open lazily): no queue, no alerts, nothing else of the hub.
                return (configuration, try SharedTokens.open(configuration, logger: quiet).tokens)
            } catch let error as BrokerHubError where error.code == .invalidConfiguration {
                throw ValidationError(error.message)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the stored tokens: provider, app key (its first characters), kind, times, a fingerprint.")

        @OptionGroup var store: StoreOptions

        @Flag(help: "One JSON object per token.")
        var json = false

        func run() async throws {
            let (configuration, tokens) = try store.open()
            let found: [TokenManager.StoredTokenInfo]
            do {
                found = try await tokens.stored(for: configuration.accounts)
            } catch {
                CLIExit.report("cannot read the token store: \(error)")
                throw ExitCode(CLIExit.unavailable)
            }
            let now = Date()
            for info in found {
                let account = configuration.accounts.first { TokenKey($0, kind: info.key.kind) == info.key }
                let appKey = account?.redactedAppKey ?? "?"
                if json {
                    var object = JSONWriter.Object()
                    object.add("provider", info.key.provider.rawValue)
                    object.add("app_key", appKey)
                    object.add("account", info.key.account)
                    object.add("kind", info.key.kind.rawValue)
                    object.add("issued_at", KST.iso8601(info.issuedAt))
                    object.add("expires_at", KST.iso8601(info.expiresAt))
                    object.add("expired", info.expiresAt <= now)
                    object.add("fingerprint", info.fingerprint)
                    print(object.json)
                } else {
                    let left = info.expiresAt.timeIntervalSince(now)
                    let expiry = left <= 0 ? "expired" : String(format: "expires in %dh %02dm", Int(left) / 3600, Int(left) % 3600 / 60)
                    print("\(info.key.provider.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(appKey)  \(info.key.account)  \(info.key.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) issued \(KST.dashedDateTime(info.issuedAt)) KST, \(expiry)  #\(info.fingerprint)")
                }
            }
            if found.isEmpty, !json { print("no token stored for the \(configuration.accounts.count) configured account(s)") }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a stored token at the broker and forget it (the hub issues a new one on its next call).",
            discussion: "Every KIS issuance sends the account holder a KakaoTalk message and KIS allows one a minute: --yes is required."
        )

        @OptionGroup var store: StoreOptions

        @Option(help: "kis or kiwoom.")
        var provider: Provider

        @Option(help: "access or approval (a KIS WebSocket approval key is only forgotten: KIS has no revocation for it).")
        var kind: String = "access"

        @Option(help: "The account name (default: the provider's first).")
        var account: String?

        @Flag(help: "Really revoke.")
        var yes = false

        func validate() throws {
            guard TokenKind(rawValue: kind) != nil else { throw ValidationError("--kind is access or approval") }
            guard yes else { throw ValidationError("revoking makes the next call issue a new token (KIS: a KakaoTalk message, at most one a minute); add --yes") }
        }

        func run() async throws {
            let (configuration, tokens) = try store.open()
            let candidates = configuration.accounts.filter { $0.provider == provider && (account == nil || $0.account == account) }
            guard let chosen = candidates.first else {
                throw ValidationError("no \(provider.rawValue) account\(account.map { " named \($0)" } ?? "") is configured")
            }
            let revoked: TokenManager.StoredTokenInfo?
            do {
                revoked = try await tokens.revoke(chosen, kind: TokenKind(rawValue: kind) ?? .access)
            } catch {
                CLIExit.report("not revoked: \(error)")
                throw ExitCode(CLIExit.unavailable)
            }
            guard let revoked else {
                CLIExit.report("no \(kind) token stored for \(provider.rawValue) \(chosen.redactedAppKey)")
                throw ExitCode(1)
            }
            print("revoked \(provider.rawValue) \(chosen.redactedAppKey) \(kind) token #\(revoked.fingerprint)")
        }
    }
}
