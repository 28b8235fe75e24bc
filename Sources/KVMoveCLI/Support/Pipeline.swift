import ArgumentParser
import Foundation
import KVMoveCore
import KVMoveSpec

/// The stages every command shares: load specs, observe, plan.
struct Pipeline {
    var registry: ProviderRegistry

    /// Loads specs; prints all diagnostics and fails when any is an error.
    func load(_ paths: [String], color: Bool) throws -> (specs: [MigrationSpec], files: [String]) {
        guard !paths.isEmpty else {
            throw CLIError("no specs given; pass -f FILE or -f DIRECTORY (repeatable)")
        }
        let result = SpecLoader(environment: Terminal.environment).load(paths: paths)
        DiagnosticPrinter(color: color).print(result.diagnostics)
        if result.hasErrors { throw DiagnosticsReported(count: result.diagnostics.count { $0.severity == .error }) }
        if result.specs.isEmpty {
            throw CLIError(
                "no kind: Migration documents found in \(paths.joined(separator: ", ")); a migration spec starts "
                    + "with apiVersion: kvmove/v1 and kind: Migration (see examples/ and schemas/migration.schema.json)"
            )
        }
        return (result.specs, result.files)
    }

    /// Observes every migration, concurrently.
    func observe(_ specs: [MigrationSpec]) async throws -> [String: ObservedMigration] {
        var providers: [String: any Provider] = [:]
        var problems: [Diagnostic] = []
        for spec in specs {
            do {
                providers[spec.name] = try registry.provider(named: spec.provider)
            } catch {
                problems.append(
                    Diagnostic(
                        .error, "migration \"\(spec.name)\": \(error)", at: spec.locations.location(of: "spec.provider")
                    )
                )
            }
        }
        if !problems.isEmpty {
            DiagnosticPrinter(color: false).print(problems)
            throw DiagnosticsReported(count: problems.count)
        }
        // One batch per provider, so a provider can observe many migrations with few calls.
        let batches = Dictionary(grouping: specs, by: \.provider)
        return try await withThrowingTaskGroup(of: [String: ObservedMigration].self) { group in
            for (name, batch) in batches {
                guard let provider = batch.first.flatMap({ providers[$0.name] }) else { continue }
                group.addTask {
                    do {
                        return try await provider.observe(batch)
                    } catch {
                        let names = batch.map(\.name).joined(separator: ", ")
                        throw CLIError("observing \(names) (provider \(name)) failed: \(error)")
                    }
                }
            }
            var observed: [String: ObservedMigration] = [:]
            for try await seen in group { observed.merge(seen) { $1 } }
            return observed
        }
    }

    /// Plans; prints refusals as diagnostics and fails when there are any.
    func plan(_ specs: [MigrationSpec], observed: [String: ObservedMigration], color: Bool) throws -> Plan {
        do {
            return try Planner(toolVersion: KVMoveCommand.version).plan(
                specs, observed: observed, createdAt: ISO8601.string(Date()))
        } catch {
            DiagnosticPrinter(color: color).print(error.diagnostics)
            throw DiagnosticsReported(count: error.refusals.count)
        }
    }
}

/// Diagnostics were already printed; exit 1 without printing anything more.
struct DiagnosticsReported: Error {
    var count: Int

    /// Closes a failed plan with one summary line on standard error; returns the exit code to throw.
    func planningFailed() -> ExitCode {
        Terminal.err("Planning failed: \(count) problem\(count == 1 ? "" : "s"). Nothing was changed.")
        return ExitCode.failure
    }
}
