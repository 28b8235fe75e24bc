import KVMoveRESP
import NIOCore

extension Verifier {
    /// A library as `FUNCTION LIST WITHCODE` shows it.
    package struct FunctionLibrary: Sendable, Equatable {
        package var engine: String
        package var code: ByteBuffer

        /// Creates a library.
        package init(engine: String, code: ByteBuffer) {
            self.engine = engine
            self.code = code
        }
    }

    /// What one side answered to `FUNCTION LIST WITHCODE`.
    package enum FunctionListing: Sendable {
        /// The libraries by name.
        case libraries([String: FunctionLibrary])
        /// The server has no `FUNCTION` command (Redis before 7): it holds no function.
        case noFunctionCommand(String)
        /// The server refused the command (ACL, a managed service's rename): its functions are unknown.
        case refused(String)
    }

    /// Lists the libraries of one side with their code, in one command.
    package static func functionListing(_ connection: RESPConnection) async throws -> FunctionListing {
        let reply = try await connection.pipeline([RESPCommand("FUNCTION", "LIST", "WITHCODE")])[0]
        if let error = reply.serverError {
            let text = "\(error.code) \(error.message)"
            let lowered = text.lowercased()
            if error.code == "ERR" && (lowered.contains("unknown command") || lowered.contains("unknown subcommand")) {
                return .noFunctionCommand(text)
            }
            return .refused(text)
        }
        guard let entries = reply.array else {
            throw SyncError.unexpectedReply(command: "FUNCTION LIST WITHCODE", reply: "\(reply)")
        }
        var libraries: [String: FunctionLibrary] = [:]
        for entry in entries {
            let fields = Self.fields(of: entry)
            guard let name = fields["library_name"]?.string, let code = fields["library_code"]?.bytes else {
                throw SyncError.unexpectedReply(command: "FUNCTION LIST WITHCODE", reply: "\(entry)")
            }
            libraries[name] = FunctionLibrary(engine: fields["engine"]?.string ?? "", code: code)
        }
        return .libraries(libraries)
    }

    /// The fields of a RESP2 flat key-value array or of a RESP3 map.
    private static func fields(of value: RESPValue) -> [String: RESPValue] {
        var fields: [String: RESPValue] = [:]
        switch value {
        case .map(let keys, let values):
            for (key, value) in zip(keys, values) { if let name = key.string { fields[name] = value } }
        default:
            let elements = value.array ?? []
            for index in stride(from: 0, to: elements.count - 1, by: 2) {
                if let name = elements[index].string { fields[name] = elements[index + 1] }
            }
        }
        return fields
    }

    /// Compares the functions of both sides: libraries by name, then engine and code.
    package static func compareFunctions(source: FunctionListing, target: FunctionListing) -> FunctionComparison {
        switch (source, target) {
        case (.libraries(let onSource), .libraries(let onTarget)):
            var differences: [FunctionComparison.Difference] = []
            for name in Set(onSource.keys).union(onTarget.keys).sorted() {
                switch (onSource[name], onTarget[name]) {
                case (let library?, nil):
                    differences.append(.init(library: name, detail: "missing on the target (\(library.engine))"))
                case (nil, .some):
                    differences.append(.init(library: name, detail: "only on the target"))
                case (let fromSource?, let fromTarget?) where fromSource.engine != fromTarget.engine:
                    differences.append(
                        .init(
                            library: name,
                            detail: "engine \(fromSource.engine) on the source, \(fromTarget.engine) on the target"))
                case (let fromSource?, let fromTarget?) where fromSource.code != fromTarget.code:
                    differences.append(
                        .init(
                            library: name,
                            detail:
                                "code differs (\(fromSource.code.readableBytes) bytes on the source, "
                                + "\(fromTarget.code.readableBytes) on the target)"))
                default:
                    break
                }
            }
            return FunctionComparison(
                outcome: differences.isEmpty ? .match : .differ, sourceLibraries: onSource.count,
                targetLibraries: onTarget.count, differences: differences)
        case (.libraries(let onSource), .noFunctionCommand(let reason)):
            // A target without FUNCTION cannot hold the source's libraries.
            guard !onSource.isEmpty else {
                return FunctionComparison(outcome: .match, sourceLibraries: 0, targetLibraries: 0)
            }
            return FunctionComparison(
                outcome: .differ, sourceLibraries: onSource.count, targetLibraries: 0,
                differences: onSource.keys.sorted().map {
                    .init(library: $0, detail: "missing on the target, which has no FUNCTION command (\(reason))")
                })
        case (.noFunctionCommand(let reason), .libraries(let onTarget)):
            guard !onTarget.isEmpty else {
                return FunctionComparison(outcome: .match, sourceLibraries: 0, targetLibraries: 0)
            }
            return FunctionComparison(
                outcome: .differ, sourceLibraries: 0, targetLibraries: onTarget.count,
                differences: onTarget.keys.sorted().map {
                    .init(library: $0, detail: "only on the target; the source has no FUNCTION command (\(reason))")
                })
        case (.noFunctionCommand(let reason), .noFunctionCommand):
            return FunctionComparison(
                outcome: .unavailable, sourceLibraries: 0, targetLibraries: 0,
                note: "neither server has FUNCTION (Redis before 7: \(reason))")
        case (.refused(let reason), _):
            return FunctionComparison(
                outcome: .unavailable, sourceLibraries: Self.count(source), targetLibraries: Self.count(target),
                note: "the source refused FUNCTION LIST (\(reason))")
        case (_, .refused(let reason)):
            return FunctionComparison(
                outcome: .unavailable, sourceLibraries: Self.count(source), targetLibraries: Self.count(target),
                note: "the target refused FUNCTION LIST (\(reason))")
        }
    }

    private static func count(_ listing: FunctionListing) -> Int {
        if case .libraries(let libraries) = listing { return libraries.count }
        return 0
    }
}
