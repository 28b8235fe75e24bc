import KVMoveCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds loopback TCP ports nobody listens on.
package enum FreePort {
    /// A port the kernel hands out for 127.0.0.1 right now, not in `avoiding`.
    ///
    /// Another process may take it before the server binds; starting a server retries with a
    /// new port when that happens.
    package static func find(avoiding: Set<Int> = []) throws -> Int {
        for _ in 0..<20 {
            let port = try ephemeral()
            if !avoiding.contains(port) { return port }
        }
        throw ProviderError.sandbox("NoFreePort", "no free port on 127.0.0.1")
    }

    private static func ephemeral() throws -> Int {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ProviderError.sandbox("NoFreePort", "cannot open a socket: \(errnoText())") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw ProviderError.sandbox("NoFreePort", "cannot bind 127.0.0.1: \(errnoText())") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            throw ProviderError.sandbox("NoFreePort", "cannot read the bound port: \(errnoText())")
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
