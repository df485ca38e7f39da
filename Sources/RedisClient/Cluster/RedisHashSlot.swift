/// Redis Cluster's key → slot mapping: CRC16 (XMODEM) of the key, or of its hash tag — the text between the
/// first `{` and the next `}` when that is not empty — modulo 16,384. Keys that share a tag share a slot, so
/// one script or multi-key command may touch them all.
public enum RedisHashSlot {
    /// The number of slots in a cluster.
    public static let count = 16_384

    /// The slot of `key`.
    public static func slot(of key: some Collection<UInt8>) -> Int {
        var crc: UInt16 = 0
        for byte in hashedPart(of: key) {
            crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
        }
        return Int(crc) & (count - 1)
    }

    /// The slot of `key`.
    public static func slot(of key: String) -> Int { slot(of: Array(key.utf8)) }

    /// The part of `key` that is hashed: its tag when it has a non-empty one, else the whole key.
    static func hashedPart<C: Collection<UInt8>>(of key: C) -> C.SubSequence {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")) else { return key[...] }
        let afterOpen = key.index(after: open)
        guard let close = key[afterOpen...].firstIndex(of: UInt8(ascii: "}")), close != afterOpen else { return key[...] }
        return key[afterOpen..<close]
    }

    /// The key a command is routed by (its first key), or nil for commands that name none (`PING`,
    /// `SCRIPT LOAD`, `PUBLISH`, …), which any node may serve.
    static func routingKey(of arguments: [RESPArgument]) -> [UInt8]? {
        guard let name = arguments.first?.description.uppercased() else { return nil }
        func argument(_ index: Int) -> [UInt8]? { index < arguments.count ? arguments[index].bytes : nil }
        switch name {
        case "PING", "ECHO", "SCRIPT", "PUBLISH", "SUBSCRIBE", "PSUBSCRIBE", "INFO", "CLUSTER", "KEYS", "SCAN",
            "DBSIZE", "FLUSHALL", "FLUSHDB", "CONFIG", "TIME", "CLIENT", "HELLO", "AUTH", "SELECT", "ASKING",
            "READONLY", "WAIT", "COMMAND", "FUNCTION", "MULTI", "EXEC", "DISCARD":
            return nil
        case "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO":
            guard arguments.count > 3, let count = Int(arguments[2].description), count > 0 else { return nil }
            return argument(3)
        case "XREAD", "XREADGROUP":
            guard let streams = arguments.firstIndex(where: { $0.description.uppercased() == "STREAMS" }) else { return nil }
            return argument(streams + 1)
        case "XGROUP", "XINFO", "OBJECT", "MEMORY":
            return argument(2)
        default:
            return argument(1)
        }
    }

    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }
}
