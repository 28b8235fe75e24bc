import Foundation

/// A throwaway certificate authority and a server certificate for `127.0.0.1`, for the fake's SSL-enabled instances.
///
/// Made with `openssl` in a temporary directory (P-256 keys, valid for one day); call `remove()` when done.
struct TLSFiles: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let directory: URL

    var caFile: String { directory.appendingPathComponent("ca.crt").path }
    var certificateFile: String { directory.appendingPathComponent("server.crt").path }
    var keyFile: String { directory.appendingPathComponent("server.key").path }

    /// What `POST /__fake/config` takes as `redis_tls`.
    var fakeConfig: [String: String] { ["cert_file": certificateFile, "key_file": keyFile, "ca_file": caFile] }

    /// Generates a CA and a server certificate signed by it.
    static func make() throws -> TLSFiles {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kvmove-aliyun-tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = { (file: String) in directory.appendingPathComponent(file).path }
        try Data(
            """
            subjectAltName = IP:127.0.0.1, DNS:localhost
            basicConstraints = CA:FALSE
            keyUsage = digitalSignature, keyEncipherment
            extendedKeyUsage = serverAuth, clientAuth

            """.utf8
        ).write(to: directory.appendingPathComponent("server.ext"))
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(
            ["req", "-x509"] + curve + [
                "-keyout", path("ca.key"), "-out", path("ca.crt"), "-days", "1", "-subj", "/CN=kvmove aliyun test CA",
            ])
        try openssl(
            ["req"] + curve + ["-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost"])
        try openssl([
            "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
            "-CAcreateserial", "-out", path("server.crt"), "-days", "1", "-extfile", path("server.ext"),
        ])
        return TLSFiles(directory: directory)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let said = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                description: "openssl \(arguments.prefix(2).joined(separator: " ")) failed: "
                    + String(decoding: said, as: UTF8.self))
        }
    }
}
