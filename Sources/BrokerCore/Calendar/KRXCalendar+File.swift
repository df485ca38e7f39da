import Foundation

extension KRXCalendar {
    /// A calendar that adds the closures listed in a holidays file to `base`.
    ///
    /// The file is UTF-8 text, one closure per line: `YYYY-MM-DD` or `YYYYMMDD`, then optionally whitespace and a name.
    /// `#` starts a comment (whole line or trailing); blank lines are ignored. Every year the file names becomes covered.
    /// Throws `BrokerHubError` `.invalidConfiguration` naming the file (and line) when it cannot be read or parsed.
    public static func load(holidaysFile path: String, base: KRXCalendar = KRXCalendar()) throws -> KRXCalendar {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw BrokerHubError(.invalidConfiguration, "\(path): cannot read holidays file", underlying: error)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw BrokerHubError(.invalidConfiguration, "\(path): holidays file is not UTF-8 text")
        }
        return base.adding(try parseHolidays(text, source: path))
    }

    /// Parses holidays-file text (see `load(holidaysFile:base:)`) into `(date, name)` pairs in file order;
    /// the name is empty when the line has none. `source` names the text in error messages.
    public static func parseHolidays(_ text: String, source: String) throws -> [(KSTDate, String)] {
        var entries: [(KSTDate, String)] = []
        var lineNumber = 0
        // `isNewline` covers "\n", "\r" and the single-Character "\r\n".
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            var line = Substring(rawLine)
            if lineNumber == 1, line.first == "\u{FEFF}" { line = line.dropFirst() }
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let token = trimmed.prefix { !$0.isWhitespace }
            guard let date = parseDate(token) else {
                throw BrokerHubError(
                    .invalidConfiguration,
                    "\(source) line \(lineNumber): \"\(token)\" is not a date (expected YYYY-MM-DD or YYYYMMDD)"
                )
            }
            let name = trimmed.dropFirst(token.count).trimmingCharacters(in: .whitespaces)
            entries.append((date, name))
        }
        return entries
    }

    /// Strictly `YYYY-MM-DD` or `YYYYMMDD` naming a real day.
    private static func parseDate(_ token: Substring) -> KSTDate? {
        let bytes = Array(token.utf8)
        let isDigit: (UInt8) -> Bool = { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        switch bytes.count {
        case 8:
            guard bytes.allSatisfy(isDigit) else { return nil }
        case 10:
            let dash = UInt8(ascii: "-")
            guard bytes[4] == dash, bytes[7] == dash,
                  bytes.enumerated().allSatisfy({ $0.offset == 4 || $0.offset == 7 || isDigit($0.element) }) else { return nil }
        default:
            return nil
        }
        return KSTDate(token)
    }
}
