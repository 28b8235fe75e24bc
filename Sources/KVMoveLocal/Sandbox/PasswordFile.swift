import Foundation
import KVMoveCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Generates instance passwords and keeps them in a file only the owner can read.
///
/// A password is never printed, logged, or written anywhere else: not to `state.json`, not to
/// `redis.conf` (the server reads it from standard input at start), not to errors.
package enum PasswordFile {
    /// Characters of each class; every password has at least three of each.
    private static let classes: [[Character]] = [
        Array("ABCDEFGHJKLMNPQRSTUVWXYZ"), Array("abcdefghijkmnopqrstuvwxyz"), Array("23456789"), Array("-_!*"),
    ]

    /// A new random password of `length` characters (at least 24) meeting the cloud's rules:
    /// 8 to 32 characters with upper case letters, lower case letters, digits and special
    /// characters, all safe in a URL's user information and in a redis.conf line.
    package static func generate(length: Int = 28) -> String {
        var generator = SystemRandomNumberGenerator()
        let length = min(32, max(24, length))
        var characters: [Character] = []
        for group in classes {
            for _ in 0..<3 { characters.append(group.randomElement(using: &generator) ?? "x") }
        }
        let all = classes.flatMap { $0 }
        while characters.count < length { characters.append(all.randomElement(using: &generator) ?? "x") }
        characters.shuffle(using: &generator)
        return String(characters)
    }

    /// Writes `password` to `url` with mode 0600 (replacing any earlier file).
    package static func write(_ password: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(Data(password.utf8), to: url, mode: 0o600)
        chmod(url.path, 0o600)
    }

    /// Reads the password stored at `url`.
    package static func read(_ url: URL) throws -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw ProviderError.sandbox(
                "PasswordUnreadable",
                "cannot read the instance password file \(url.path): \(error.localizedDescription)")
        }
    }

    /// `redis://default:PASSWORD@127.0.0.1:PORT`, with the password percent-encoded.
    package static func connectionURL(password: String, host: String = "127.0.0.1", port: Int) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~!*")
        let encoded = password.addingPercentEncoding(withAllowedCharacters: allowed) ?? password
        return "redis://default:\(encoded)@\(host):\(port)"
    }
}
