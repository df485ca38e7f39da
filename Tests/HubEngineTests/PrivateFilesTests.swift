import BrokerCore
import Foundation
import GRDB
import HubEngine
import Testing

/// Issue #18 item 12: the embedded store (tokens, queued requests) is readable by its owner alone.
@Suite("Store files are private", .timeLimit(.minutes(1)))
struct PrivateFilesTests {
    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("a new store: directory 0700, database, -wal and -shm 0600; an existing one is narrowed to 0600")
    func storeFilesAreOwnerOnly() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("private-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("data/brokerhub.sqlite").path
        let database = try HubDatabase(path: path)
        try database.writer.write { try $0.execute(sql: "CREATE TABLE IF NOT EXISTS probe (x)") }
        #expect(try Self.mode(root.appendingPathComponent("data").path) == 0o700)
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            #expect(try Self.mode(file) == 0o600, "\(file)")
        }
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        // A database left world-readable by an earlier release is narrowed on the next open.
        let old = root.appendingPathComponent("old.sqlite").path
        FileManager.default.createFile(atPath: old, contents: nil, attributes: [.posixPermissions: 0o644])
        try PrivateFiles.prepareDatabase(at: old)
        #expect(try Self.mode(old) == 0o600)
    }
}
