/// One stream entry as returned by `XREADGROUP`, `XAUTOCLAIM` or `XRANGE`.
public struct RedisStreamEntry: Sendable {
    /// The stream key it was read from.
    public var stream: String
    /// The entry ID, e.g. `1700000000000-0`.
    public var id: String
    /// Field/value pairs in insertion order (empty for an entry deleted while pending).
    public var fields: [(String, [UInt8])]

    public init(stream: String, id: String, fields: [(String, [UInt8])]) {
        self.stream = stream
        self.id = id
        self.fields = fields
    }

    /// The first value of `field`.
    public subscript(field: String) -> [UInt8]? {
        fields.first { $0.0 == field }?.1
    }

    /// The first value of `field` decoded as UTF-8.
    public func string(_ field: String) -> String? {
        self[field].map { String(decoding: $0, as: UTF8.self) }
    }
}
