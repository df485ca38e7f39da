import Crypto
import Foundation
import _CryptoExtras

/// KIS execution notices (`H0STCNI0`, `H0STCNI9` on paper accounts) travel AES-256-CBC encrypted (PKCS7
/// padding, base64) under the key and iv their subscription ack gave, both used as UTF-8 text (32 and 16
/// characters).
public enum KISNoticeCipher {
    /// The base64 ciphertext of `plaintext` (the `^`-joined fields).
    public static func encrypt(_ plaintext: String, key: String, iv: String) throws -> String {
        let sealed = try AES._CBC.encrypt(Data(plaintext.utf8), using: SymmetricKey(data: Data(key.utf8)), iv: AES._CBC.IV(ivBytes: Array(iv.utf8)))
        return sealed.base64EncodedString()
    }

    /// The plaintext of a base64 payload, or nil when it is not base64, the key or iv has the wrong length,
    /// the padding is wrong (a wrong key, almost always) or the result is not UTF-8.
    public static func decrypt(_ payload: String, key: String, iv: String) -> String? {
        guard key.utf8.count == 32, iv.utf8.count == 16, let data = Data(base64Encoded: payload),
              let vector = try? AES._CBC.IV(ivBytes: Array(iv.utf8)),
              let plain = try? AES._CBC.decrypt(data, using: SymmetricKey(data: Data(key.utf8)), iv: vector) else { return nil }
        return String(data: plain, encoding: .utf8)
    }
}
