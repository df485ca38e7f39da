/// A parsed JSON document. Numbers keep their source text so that integers of any size and
/// decimals stay exact.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number as written (e.g. `"0"`, `"-12.50"`, `"1e3"`).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// An integer from a JSON number or a numeric string.
    public var intValue: Int? {
        switch self {
        case .number(let text), .string(let text): Int(text)
        default: nil
        }
    }

    /// The value as text whatever its type: strings as is, numbers as written, others as JSON.
    public var text: String {
        switch self {
        case .string(let text), .number(let text): text
        default: JSONWriter.serialize(self)
        }
    }
}
