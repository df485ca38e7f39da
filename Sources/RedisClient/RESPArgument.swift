import NIOCore
import RedisWire

/// One argument of a Redis command, sent as a bulk string.
public struct RESPArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByStringInterpolation,
    ExpressibleByIntegerLiteral, CustomStringConvertible
{
    enum Storage: Sendable, Hashable {
        case string(String)
        case bytes([UInt8])
        case int(Int64)
    }

    let storage: Storage

    init(storage: Storage) { self.storage = storage }

    public init(stringLiteral value: String) { storage = .string(value) }
    public init(integerLiteral value: Int64) { storage = .int(value) }

    /// A UTF-8 string argument.
    public static func string(_ value: String) -> RESPArgument { RESPArgument(storage: .string(value)) }
    /// A binary-safe argument.
    public static func bytes(_ value: [UInt8]) -> RESPArgument { RESPArgument(storage: .bytes(value)) }
    /// A decimal integer argument.
    public static func int(_ value: Int64) -> RESPArgument { RESPArgument(storage: .int(value)) }
    /// A decimal integer argument.
    public static func int(_ value: Int) -> RESPArgument { RESPArgument(storage: .int(Int64(value))) }

    /// The argument's bytes.
    public var bytes: [UInt8] {
        switch storage {
        case .string(let s): return Array(s.utf8)
        case .bytes(let b): return b
        case .int(let i): return Array(String(i).utf8)
        }
    }

    /// The first byte, without copying.
    var firstByte: UInt8? {
        switch storage {
        case .string(let s): return s.utf8.first
        case .bytes(let b): return b.first
        case .int: return nil
        }
    }

    /// The argument as text (bytes decoded as UTF-8); used for command-name checks and logs.
    public var description: String {
        switch storage {
        case .string(let s): return s
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        case .int(let i): return String(i)
        }
    }

    func write(into buffer: inout ByteBuffer) {
        switch storage {
        case .string(let s): buffer.writeRESPBulkString(s)
        case .bytes(let b): buffer.writeRESPBulkString(b)
        case .int(let i): buffer.writeRESPBulkString(String(i))
        }
    }
}

extension ByteBuffer {
    /// Writes one command (an array of bulk strings).
    mutating func writeRESPCommand(_ arguments: [RESPArgument]) {
        writeRESPArrayHeader(arguments.count)
        for argument in arguments { argument.write(into: &self) }
    }
}
