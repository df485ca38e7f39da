import BrokerCore
import Crypto
import Foundation

/// Encrypts tokens at rest with AES-256-GCM. The key comes from `BROKERHUB_TOKEN_KEY` (base64 of 32
/// bytes) or, for the embedded default, from a key file generated once with mode 0600.
public struct TokenCipher: Sendable {
    /// Raw key bytes (`SymmetricKey` is not `Sendable`; one is made per operation).
    private let keyData: Data

    public init(key: SymmetricKey) {
        keyData = key.withUnsafeBytes { Data($0) }
    }

    private var key: SymmetricKey { SymmetricKey(data: keyData) }

    /// A cipher from base64 key material; throws `.invalidConfiguration` unless it is 32 bytes.
    public init(base64 text: String) throws {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            throw BrokerHubError(.invalidConfiguration, "the token key must be base64 of 32 bytes (e.g. `openssl rand -base64 32`)")
        }
        self.init(key: SymmetricKey(data: data))
    }

    /// The key from `environment["BROKERHUB_TOKEN_KEY"]`, else from `keyFile` (created with a fresh random
    /// key and mode 0600 when missing).
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment, keyFile: String) throws -> TokenCipher {
        if let text = environment["BROKERHUB_TOKEN_KEY"], !text.isEmpty { return try TokenCipher(base64: text) }
        if let existing = FileManager.default.contents(atPath: keyFile) {
            return try TokenCipher(base64: String(decoding: existing, as: UTF8.self))
        }
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() }
        let directory = URL(fileURLWithPath: keyFile).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: keyFile, contents: Data((text + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw BrokerHubError(.invalidConfiguration, "cannot write the token key file \(keyFile)")
        }
        return try TokenCipher(base64: text)
    }

    public func seal(_ value: String) throws -> Data {
        guard let combined = try AES.GCM.seal(Data(value.utf8), using: key).combined else {
            throw BrokerHubError(.invalidConfiguration, "AES-GCM produced no combined box")
        }
        return combined
    }

    public func open(_ data: Data) throws -> String {
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            return String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
        } catch {
            throw BrokerHubError(.invalidConfiguration, "a stored token cannot be decrypted with this key (was BROKERHUB_TOKEN_KEY changed?)", underlying: error)
        }
    }
}
