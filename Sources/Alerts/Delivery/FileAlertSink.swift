import Foundation

/// Appends each notice as one JSON line (the generic body) to a log file, created 0600 if missing; or writes
/// its one-line text to standard output (`FileAlertSink.standardOutput`).
public struct FileAlertSink: AlertSink {
    public enum Target: Sendable, Hashable {
        case file(String)
        case standardOutput
    }

    public let target: Target

    public init(path: String) { target = .file(path) }

    private init(target: Target) { self.target = target }

    /// Notices as text lines on standard output.
    public static var standardOutput: FileAlertSink { FileAlertSink(target: .standardOutput) }

    public var name: String {
        switch target {
        case .file: "file"
        case .standardOutput: "stdout"
        }
    }

    public func deliver(_ notice: AlertNotice) async throws {
        switch target {
        case .standardOutput:
            FileHandle.standardOutput.write(Data((notice.line + "\n").utf8))
        case .file(let path):
            do {
                if !FileManager.default.fileExists(atPath: path) {
                    guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                        throw AlertDeliveryError("cannot create \(path)")
                    }
                }
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
                defer { try? handle.close() }
                try handle.seekToEnd()
                try handle.write(contentsOf: Data((notice.json + "\n").utf8))
            } catch let error as AlertDeliveryError {
                throw error
            } catch {
                throw AlertDeliveryError("cannot append to \(path)", underlying: error)
            }
        }
    }
}
