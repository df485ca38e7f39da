import BrokerCore
import Foundation
import HubEngine

/// A sealed token as one Redis string: version byte 1, issued-at and expires-at as big-endian milliseconds
/// since 1970 (8 bytes each), then the AES-GCM ciphertext. The compare-and-delete script compares the
/// ciphertext from byte 18 on.
enum RedisTokenCoding {
    static let version: UInt8 = 1
    static let headerSize = 17

    static func encode(_ token: SealedToken) -> [UInt8] {
        var bytes: [UInt8] = [version]
        bytes.reserveCapacity(headerSize + token.ciphertext.count)
        append(milliseconds(token.issuedAt), to: &bytes)
        append(milliseconds(token.expiresAt), to: &bytes)
        bytes.append(contentsOf: token.ciphertext)
        return bytes
    }

    static func decode(_ bytes: [UInt8], key: TokenKey) throws -> SealedToken {
        guard bytes.count > headerSize, bytes[0] == version else {
            throw BrokerHubError(.malformedPayload, "stored token \(key): unreadable value")
        }
        return SealedToken(
            ciphertext: Data(bytes[headerSize...]),
            issuedAt: Date(timeIntervalSince1970: Double(integer(bytes[1..<9])) / 1000),
            expiresAt: Date(timeIntervalSince1970: Double(integer(bytes[9..<17])) / 1000)
        )
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    private static func append(_ value: Int64, to bytes: inout [UInt8]) {
        let bits = UInt64(bitPattern: value)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }

    private static func integer(_ slice: ArraySlice<UInt8>) -> Int64 {
        Int64(bitPattern: slice.reduce(UInt64(0)) { ($0 << 8) | UInt64($1) })
    }
}
