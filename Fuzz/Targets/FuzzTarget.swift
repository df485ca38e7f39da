import Foundation

/// One coverage-guided fuzz target: takes any bytes, must never crash, and traps (`preconditionFailure`) when an
/// invariant of the parser under test breaks, so libFuzzer records the input as a crash.
public struct FuzzTarget: Sendable {
    public let name: String
    /// What the target feeds and what it checks (printed by `brokerhub-fuzz list`).
    public let summary: String
    public let run: @Sendable (UnsafeBufferPointer<UInt8>) -> Void

    public init(name: String, summary: String, run: @escaping @Sendable (UnsafeBufferPointer<UInt8>) -> Void) {
        self.name = name
        self.summary = summary
        self.run = run
    }

    /// Every target, by name: the seed corpus of each is `Fuzz/corpus/<name>/`.
    public static let all: [FuzzTarget] = [
        WireTargets.kisFrame, WireTargets.kiwoomFrame, WireTargets.json,
        WireTargets.envelope, WireTargets.token, RESPTarget.resp,
    ]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// Fails the fuzz run with the input's invariant named (`preconditionFailure` survives `-O`).
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { preconditionFailure("fuzz invariant broken: \(message())") }
}
