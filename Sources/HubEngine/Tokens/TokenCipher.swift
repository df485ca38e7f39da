import BrokerCore
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc

private func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { Glibc.open(path, flags, mode) }
#elseif canImport(Darwin)
import Darwin

private func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { Darwin.open(path, flags, mode) }
#endif

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
        // Created exclusively with mode 0600 from the first byte: never readable by others, and when two
        // processes start together exactly one key wins; the loser reads the winner's.
        let descriptor = posixOpen(keyFile, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if descriptor < 0 {
            guard errno == EEXIST else { throw BrokerHubError(.invalidConfiguration, "cannot create the token key file \(keyFile) (errno \(errno))") }
            return try readWinner(keyFile)
        }
        let bytes = Array((text + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, synced else {
            throw BrokerHubError(.invalidConfiguration, "cannot write the token key file \(keyFile)")
        }
        return try TokenCipher(base64: text)
    }

    /// Reads a key file another process is creating (it may still be empty for a moment).
    private static func readWinner(_ keyFile: String) throws -> TokenCipher {
        for _ in 0..<50 {
            if let data = FileManager.default.contents(atPath: keyFile), data.count >= 44 {
                return try TokenCipher(base64: String(decoding: data, as: UTF8.self))
            }
            usleep(10_000)
        }
        throw BrokerHubError(.invalidConfiguration, "the token key file \(keyFile) stays empty or short")
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
