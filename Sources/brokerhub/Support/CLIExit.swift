import ArgumentParser
import BrokerCore
import Foundation

/// Exit codes of `brokerhub`, documented in README.
enum CLIExit {
    /// The input could not be read (malformed payload or frame, unreadable file).
    static let malformedInput: Int32 = 2
    /// The payload is a broker error answer (including an unknown symbol).
    static let brokerError: Int32 = 3
    /// A bad argument (unknown TR, missing parameter).
    static let usage: Int32 = 64
    /// A service the command needs (the hub) is not reachable or not answering.
    static let unavailable: Int32 = 69
    /// A file the command writes cannot be written (the snapshot archive).
    static let ioError: Int32 = 74
    /// The service refused the credentials (an API key).
    static let noPermission: Int32 = 77

    static func code(for error: BrokerHubError) -> Int32 {
        switch error.code {
        case .brokerError, .notFound: brokerError
        case .invalidArgument, .unsupportedTransaction, .invalidConfiguration: usage
        default: malformedInput
        }
    }

    /// Prints `brokerhub: <message>` to standard error.
    static func report(_ message: String) {
        FileHandle.standardError.write(Data("brokerhub: \(message)\n".utf8))
    }
}
