/// Why an RDB stream cannot be split into records the target can take.
package enum RDBError: DataPlaneFailure, Equatable {
    /// The bytes are not a valid RDB file.
    case corrupt(String)
    /// The file's version is newer than the splitter knows.
    case unsupportedVersion(Int)
    /// A key holds a module type: its value can only be restored where the same module is loaded.
    case moduleValue(database: Int, key: String, module: String)
    /// Module data outside any key (`MODULE_AUX`).
    case moduleAux(module: String)
    /// A key of a type this channel does not carry (such as 7.4's hashes with field expiry).
    case unsupportedType(database: Int, key: String, type: UInt8)
    /// An opcode this channel does not carry.
    case unsupportedOpcode(UInt8)
    /// The checksum at the end of the file does not match its bytes.
    case checksumMismatch(expected: UInt64, computed: UInt64)

    package var description: String {
        switch self {
        case .corrupt(let detail):
            "the source sent an RDB stream that cannot be read: \(detail)"
        case .unsupportedVersion(let version):
            "the source's RDB version \(version) is newer than this kvmove reads (up to 12); use a newer kvmove"
        case .moduleValue(let database, let key, let module):
            "key \(key) in db \(database) holds a value of the module type '\(module)', which the sync channel "
                + "cannot carry; delete or move the key on the source, or migrate with a tool that loads the module"
        case .moduleAux(let module):
            "the source's RDB carries data of the module '\(module)', which the sync channel cannot carry; "
                + "unload the module on the source or migrate with a tool that loads it"
        case .unsupportedType(let database, let key, let type):
            "key \(key) in db \(database) has RDB type \(type), which the sync channel cannot carry to the target; "
                + "delete or rewrite the key on the source"
        case .unsupportedOpcode(let opcode):
            "the source's RDB has opcode 0x\(String(opcode, radix: 16)), which the sync channel cannot carry"
        case .checksumMismatch(let expected, let computed):
            "the RDB checksum does not match (file says 0x\(String(expected, radix: 16)), bytes give "
                + "0x\(String(computed, radix: 16))): the transfer was damaged; the channel starts the full sync again"
        }
    }

    package var code: String {
        switch self {
        case .corrupt: "RDBCorrupt"
        case .unsupportedVersion: "RDBVersionUnsupported"
        case .moduleValue, .moduleAux: "ModuleTypeUnsupported"
        case .unsupportedType: "UnsupportedType"
        case .unsupportedOpcode: "RDBOpcodeUnsupported"
        case .checksumMismatch: "RDBChecksumMismatch"
        }
    }

    package var message: String { description }

    package var isRetryable: Bool {
        if case .checksumMismatch = self { return true }
        return false
    }
}
