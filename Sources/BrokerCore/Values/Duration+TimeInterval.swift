import Foundation

extension Duration {
    /// The duration in seconds, as `Date` arithmetic and Foundation take it — the one conversion every module
    /// uses.
    public var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
