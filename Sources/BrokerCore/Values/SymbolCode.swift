/// What a symbol code may look like wherever one is read from outside (a command's list, a stream filter): 1 to 12
/// ASCII letters or digits. Whether the broker knows it is the broker's answer.
public enum SymbolCode {
    public static func isPlausible(_ text: some StringProtocol) -> Bool {
        (1...12).contains(text.utf8.count) && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
    }
}
