/// Serialises JSON compactly. `JSONWriter.Object` builds an object with members in insertion order.
public enum JSONWriter {
    public static func serialize(_ value: JSONValue) -> String {
        var output = ""
        write(value, into: &output)
        return output
    }

    public static func write(_ value: JSONValue, into output: inout String) {
        switch value {
        case .null: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .number(let text): output += text
        case .string(let text): writeString(text, into: &output)
        case .array(let elements):
            output += "["
            for (position, element) in elements.enumerated() {
                if position > 0 { output += "," }
                write(element, into: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (position, key) in members.keys.sorted().enumerated() {
                if position > 0 { output += "," }
                writeString(key, into: &output)
                output += ":"
                write(members[key]!, into: &output)
            }
            output += "}"
        }
    }

    /// Writes a JSON string literal with the escapes RFC 8259 requires.
    public static func writeString(_ text: String, into output: inout String) {
        output += "\""
        // Nearly every string needs no escape: append it whole.
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes in
            !bytes.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        }
        if plain == true {
            output += text
            output += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    /// An object written member by member, in order.
    public struct Object {
        public private(set) var text = "{"
        private var empty = true

        public init() {
            text.reserveCapacity(256)
        }

        private mutating func key(_ name: String) {
            if !empty { text += "," }
            empty = false
            JSONWriter.writeString(name, into: &text)
            text += ":"
        }

        public mutating func add(_ name: String, _ value: String) {
            key(name)
            JSONWriter.writeString(value, into: &text)
        }

        public mutating func add(_ name: String, _ value: String?) {
            guard let value else { return }
            add(name, value)
        }

        public mutating func add(_ name: String, _ value: Int64) {
            key(name)
            text += String(value)
        }

        public mutating func add(_ name: String, _ value: Int64?) {
            guard let value else { return }
            add(name, value)
        }

        public mutating func add(_ name: String, _ value: Bool) {
            key(name)
            text += value ? "true" : "false"
        }

        /// Adds a number written exactly as given (already valid JSON number text).
        public mutating func add(_ name: String, number: String) {
            key(name)
            text += number
        }

        /// Adds already-serialised JSON.
        public mutating func add(_ name: String, raw: String) {
            key(name)
            text += raw
        }

        /// The finished object.
        public var json: String { text + "}" }
    }
}
