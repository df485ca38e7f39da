#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import HubServer

/// An exclusive lock on a hub's embedded store (`hub.lock` in its data directory), held for the life of the process:
/// two processes dispatching from one embedded store would each pace to the full budget and together exceed it.
/// `serve` and every `--embedded` command take it; the kernel releases it when the process ends, however it ends.
/// Distributed mode needs none (the budget is shared through Redis), nor an in-memory store.
enum StoreLock {
    /// Takes the lock for `configuration`'s store; throws a message naming the directory when another process holds it.
    static func acquire(for configuration: HubConfiguration) throws {
        guard !configuration.isDistributed, !configuration.inMemory else { return }
        let directory = configuration.dataDirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/hub.lock"
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw LockError(message: "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw LockError(message: "another hub process uses the store in \(directory) (\(path) is locked): "
                + "talk to it with --hub URL, or give this one its own --data-dir (their budgets would add up)")
        }
        // Deliberately never closed: the lock lives as long as the process.
    }

    struct LockError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
