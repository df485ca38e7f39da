import BrokerCore
import HubEngine
import Foundation

/// A loopback port nothing listens on now: bound to port 0, read back, released. Another process could take
/// it before it is bound again; the demo, which needs the mock's address before its services start, accepts
/// that (a clash ends the run with the bind error).
enum FreePort {
    static func pick() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BrokerHubError(.unavailable, "no socket for a free port (errno \(errno))") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw BrokerHubError(.unavailable, "no free loopback port (errno \(errno))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
