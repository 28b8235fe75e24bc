import Foundation
import KVMoveCore
import KVMoveTestSupport
import Testing

/// End-to-end runs of the command tree: stdout, stderr and exit code.
///
/// Most run in-process against the fake world (``CLIHarness/run(_:stdin:)``); Ctrl-C, kill -9
/// and the terminal prompt need a real process and start the test host.
struct CLITests {
    @Test("validate: clean specs exit 0 and say how many were checked")
    func validateClean() async throws {
        let cli = try CLIHarness()
        try cli.write("m/orders.yaml", migrationYAML())
        try cli.write("m/more/sessions.yml", migrationYAML(name: "sessions"))
        let result = try await cli.run("validate", cli.path("m"))
        #expect(result.code == 0, "\(result.all)")
        #expect(result.out == "2 migrations in 2 files valid.\n")
    }

    @Test("validate: every problem at once, file:line:col with caret, exit 1")
    func validateErrors() async throws {
        let cli = try CLIHarness()
        let bad = migrationYAML().replacingOccurrences(of: "    zone: cn-hangzhou-h", with: "    zonee: cn-hangzhou-h")
            .replacingOccurrences(of: "stage: sync", with: "stage: syncing")
        try cli.write("bad.yaml", bad)
        let result = try await cli.run("validate", cli.path("bad.yaml"))
        #expect(result.code == 1)
        #expect(result.out.isEmpty)
        #expect(
            result.err.contains("bad.yaml:12:5: error: unknown key \"zonee\" in spec.target; did you mean \"zone\"?"))
        #expect(result.err.contains("    zonee: cn-hangzhou-h\n    ^~~~~"))
        #expect(result.err.contains("bad.yaml:21:10: error:"))
        #expect(result.err.contains("error"))
    }

    @Test("plan: provider aliyun without credentials says what it tried, in order, and makes no call")
    func aliyunWithoutCredentials() async throws {
        var cli = try CLIHarness(world: nil)
        for key in cli.environment.keys where key.hasPrefix("ALIBABA_CLOUD_") {
            cli.environment.removeValue(forKey: key)
        }
        cli.environment["HOME"] = cli.directory.path
        cli.environment["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
        try cli.write(
            "orders.yaml", migrationYAML().replacingOccurrences(of: "provider: local", with: "provider: aliyun"))
        let result = try await cli.run("plan", "-f", cli.path("orders.yaml"))
        #expect(result.code == 1)
        #expect(result.err.contains("no Alibaba Cloud credentials found"), "\(result.err)")
        #expect(result.err.contains("environment: ALIBABA_CLOUD_ACCESS_KEY_ID"))
        #expect(result.err.contains("ECS RAM role: disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED"))
        #expect(!result.err.contains("Fatal error"))
    }

    @Test("plan: provider local with no sandbox refuses at the source line and creates nothing")
    func localWithoutSandbox() async throws {
        var cli = try CLIHarness(world: nil)
        cli.environment.removeValue(forKey: "KVMOVE_SANDBOX")
        try cli.write("orders.yaml", migrationYAML())
        let result = try await cli.run("plan", "-f", cli.path("orders.yaml"))
        #expect(result.code == 1)
        #expect(result.err.contains("source instance r-bp1zxszhcgatnx0001 was not found in region cn-hangzhou"))
        #expect(!FileManager.default.fileExists(atPath: cli.directory.appendingPathComponent(".kvmove/sandbox").path))
    }

    @Test("plan: text with summary, detailed exit code 2 with changes, 0 when converged")
    func planAndExitCodes() async throws {
        let cli = try CLIHarness()
        try cli.write("orders.yaml", migrationYAML())
        let plan = try await cli.run("plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode")
        #expect(plan.code == 2, "\(plan.all)")
        #expect(plan.out.contains("Plan: 2 to create, 0 to change, 0 to release, 2 to wait/check."))
        #expect(!plan.out.contains("\u{1B}["))
        let plain = try await cli.run("plan", "-f", cli.path("orders.yaml"))
        #expect(plain.code == 0)
        let apply = try await cli.run("apply", "-f", cli.path("orders.yaml"), "--auto-approve")
        #expect(apply.code == 0, "\(apply.all)")
        let again = try await cli.run("plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode")
        #expect(again.code == 0, "\(again.all)")
        #expect(again.out.contains("No changes."))
    }

    @Test("plan --output json is versioned policy input; markdown has the summary table")
    func planFormats() async throws {
        let cli = try CLIHarness()
        try cli.write("orders.yaml", migrationYAML(stage: "complete"))
        let json = try await cli.run("plan", "-f", cli.path("orders.yaml"), "--output", "json")
        #expect(json.code == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        #expect(object["format_version"] as? String == Plan.formatVersion)
        let steps = try #require(object["steps"] as? [[String: Any]])
        #expect(steps.contains { ($0["actions"] as? [String]) == ["delete"] })
        let markdown = try await cli.run("plan", "-f", cli.path("orders.yaml"), "--output", "markdown")
        #expect(markdown.code == 0)
        #expect(markdown.out.contains("[!CAUTION]"))
        #expect(markdown.out.contains("<details>"))
    }

    @Test("a saved plan is shown in every format and applied exactly; a stale one is refused naming the fact")
    func savedPlans() async throws {
        let cli = try CLIHarness()
        try cli.write("orders.yaml", migrationYAML())
        let saved = try await cli.run("plan", "-f", cli.path("orders.yaml"), "-out", cli.path("orders.plan"))
        #expect(saved.code == 0, "\(saved.all)")
        #expect(saved.out.contains("Saved the plan to: \(cli.path("orders.plan"))"))
        for format in ["text", "json", "markdown"] {
            let shown = try await cli.run("show", cli.path("orders.plan"), "--output", format)
            #expect(shown.code == 0, "\(shown.all)")
            #expect(shown.out.contains("orders-cache"))
        }
        // The world moves under the saved plan: the source starts changing.
        var world = try cli.world()
        world.instances[0].observed.status = "Changing"
        try cli.setWorld(world)
        let stale = try await cli.run("apply", cli.path("orders.plan"))
        #expect(stale.code == 1)
        #expect(stale.err.contains("Saved plan is stale"))
        #expect(stale.err.contains("orders-cache: source.status was \"Normal\", now \"Changing\""))
        #expect(try cli.world().calls.isEmpty)
        world.instances[0].observed.status = "Normal"
        try cli.setWorld(world)
        let applied = try await cli.run("apply", cli.path("orders.plan"))
        #expect(applied.code == 0, "\(applied.all)")
        #expect(applied.out.contains("Apply complete!"))
        // A hand-edited plan file is refused.
        let edited = try cli.read("orders.plan").replacingOccurrences(of: "\"Normal\"", with: "\"Edited\"")
        try cli.write("edited.plan", edited)
        let tampered = try await cli.run("show", cli.path("edited.plan"))
        #expect(tampered.code == 1)
        #expect(tampered.err.contains("was modified after it was saved"))
    }

    @Test("apply without a terminal refuses unless --auto-approve; nothing changes")
    func approval() async throws {
        let cli = try CLIHarness()
        try cli.write("orders.yaml", migrationYAML())
        let before = try Data(contentsOf: cli.worldFile)
        let result = try await cli.run("apply", "-f", cli.path("orders.yaml"))
        #expect(result.code == 1)
        #expect(result.err.contains("apply needs approval, but standard input is not a terminal"))
        #expect(try Data(contentsOf: cli.worldFile) == before)
    }

    @Test("apply --dry-run prints every provider call, secrets redacted, and changes nothing at all")
    func dryRun() async throws {
        let cli = try CLIHarness()
        try cli.write("orders.yaml", migrationYAML(stage: "complete"))
        let before = try Data(contentsOf: cli.worldFile)
        let result = try await cli.run("apply", "-f", cli.path("orders.yaml"), "--dry-run")
        #expect(result.code == 0, "\(result.all)")
        #expect(result.out.contains("would call: fake CreateGroup SeedInstanceId=r-bp1zxszhcgatnx0001"))
        #expect(result.out.contains("would call: fake CreateInstance RegionId=cn-hangzhou ZoneId=cn-hangzhou-h"))
        #expect(result.out.contains("Password=(sensitive value)"))
        #expect(result.out.contains("GroupId=(known after apply)"))
        #expect(result.out.contains("would call: fake DeleteInstance InstanceId=r-bp1zxszhcgatnx0001"))
        #expect(result.out.contains("Dry run complete: 8 steps walked, 8 provider calls shown; nothing was changed."))
        #expect(!result.all.contains(FakeProvider.targetPassword))
        #expect(try Data(contentsOf: cli.worldFile) == before)
        #expect(!FileManager.default.fileExists(atPath: cli.directory.appendingPathComponent(".kvmove").path))
    }

    @Test("apply --verify-rate paces verification: the plan shown says the new pace; 0 is refused")
    func verifyRate() async throws {
        let cli = try CLIHarness()
        try cli.write("orders.yaml", migrationYAML())
        let paced = try await cli.run("apply", "-f", cli.path("orders.yaml"), "--dry-run", "--verify-rate", "500")
        #expect(paced.code == 0, "\(paced.all)")
        #expect(paced.out.contains("paced at 500 reads/s"), "\(paced.out)")
        #expect(!paced.out.contains("paced at 100000 reads/s"))
        let unpaced = try await cli.run("apply", "-f", cli.path("orders.yaml"), "--dry-run")
        #expect(unpaced.out.contains("paced at 100000 reads/s"))
        let refused = try await cli.run("apply", "-f", cli.path("orders.yaml"), "--dry-run", "--verify-rate", "0")
        #expect(refused.code != 0)
        #expect(refused.err.contains("--verify-rate must be at least 1"), "\(refused.all)")
    }

    @Test("three stages, one apply each; journal records every step; no secret anywhere")
    func threeStages() async throws {
        var world = FakeWorld.standard(sourceSyncCapable: false)
        world.behaviour.busyPolls = ["r-bp1zxszhcgatnx0001": 2]
        let cli = try CLIHarness(world: world)
        var everything = ""
        for stage in ["sync", "cutover", "complete"] {
            try cli.write("orders.yaml", migrationYAML(stage: stage))
            let apply = try await cli.run("apply", "-f", cli.path("orders.yaml"), "--auto-approve")
            #expect(apply.code == 0, "\(apply.all)")
            #expect(apply.out.contains("stage \(stage) reached"))
            let check = try await cli.run(
                "plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode", "-out", cli.path("\(stage).plan"))
            #expect(check.code == 0, "\(check.all)")
            everything += apply.all + check.all + (try cli.read("\(stage).plan"))
        }
        #expect(everything.contains("flash disconnect of up to 5 s"))
        #expect(everything.contains("[####################] 100% full sync"))
        let journal = try cli.read(".kvmove/journal/orders-cache.jsonl")
        let events = journal.split(separator: "\n").map { line in
            (try? JSONDecoder().decode(JournalEntry.self, from: Data(line.utf8)))?.event
        }
        #expect(!events.contains(nil))
        #expect(events.filter { $0 == .stepFinished }.count == 9)
        #expect(events.filter { $0 == .applyStarted }.count == 3)
        everything += journal
        #expect(!everything.contains(FakeProvider.targetPassword))
        // Positive control: the create request really carried the password to the (fake) cloud.
        #expect(try cli.world().passwords.values.contains(FakeProvider.targetPassword))
        let live = try cli.world().instances.filter { $0.observed.status != "Released" }
        #expect(live.map(\.observed.name) == ["orders-cache"])
    }

    @Test("a held lock blocks apply and names its holder; kvmove unlock clears it")
    func locks() async throws {
        let cli = try CLIHarness()
        try cli.write("orders.yaml", migrationYAML())
        let store = FileLockStore(directory: cli.directory.appendingPathComponent(".kvmove/locks"))
        var holder = LockInfo(migration: "orders-cache", operation: "apply", created: "2026-11-24T10:00:00Z")
        holder.pid = 999_999
        try store.acquire(holder)
        let blocked = try await cli.run("apply", "-f", cli.path("orders.yaml"), "--auto-approve")
        #expect(blocked.code == 1)
        #expect(
            blocked.out.contains("orders-cache: not started: migration \"orders-cache\" is locked by another apply"))
        #expect(blocked.out.contains("pid 999999") && blocked.out.contains("lock is stale"))
        #expect(try cli.world().calls.isEmpty)
        let unlock = try await cli.run("unlock", "orders-cache", "-f", cli.path("orders.yaml"))
        #expect(unlock.code == 0)
        #expect(unlock.out.contains("Unlocked orders-cache (was held by"))
        let again = try await cli.run("unlock", "orders-cache", "-f", cli.path("orders.yaml"))
        #expect(again.code == 1)
        #expect(again.err.contains("is not locked"))
        #expect(try await cli.run("apply", "-f", cli.path("orders.yaml"), "--auto-approve").code == 0)
    }

    @Test("Ctrl-C stops after the current call, journals it, exits 130; apply again converges")
    func interrupt() async throws {
        var world = FakeWorld.standard()
        // The full sync makes no progress until the test changes the world, so the apply is still
        // waiting when the signal arrives, however slowly this machine runs the test.
        world.behaviour.syncStepPerPoll = 0
        world.behaviour.pollMilliseconds = 100
        let cli = try CLIHarness(world: world)
        try cli.write("orders.yaml", migrationYAML())
        let running = try cli.start(["apply", "-f", "orders.yaml", "--auto-approve"])
        #expect(await running.waitForOutput("Waiting for full sync"))
        running.signal(SIGINT)
        let result = await running.wait()
        #expect(result.code == 130, "\(result.all)")
        #expect(result.err.contains("Interrupt received. Stopping after the current provider call"))
        #expect(result.out.contains("Apply interrupted"))
        let journal = try cli.read(".kvmove/journal/orders-cache.jsonl")
        #expect(journal.contains("\"event\":\"interrupted\""))
        #expect(
            FileLockStore(directory: cli.directory.appendingPathComponent(".kvmove/locks")).holder(of: "orders-cache")
                == nil)
        var faster = try cli.world()
        faster.behaviour.syncStepPerPoll = 0.5
        faster.behaviour.pollMilliseconds = 1
        try cli.setWorld(faster)
        let resumed = try await cli.run("apply", "-f", cli.path("orders.yaml"), "--auto-approve")
        #expect(resumed.code == 0, "\(resumed.all)")
        #expect(!resumed.out.contains("CreateInstance"))
        #expect(try cli.world().instances.count { $0.observed.createdByMigration == "orders-cache" } == 1)
    }

    @Test("kill -9 in the middle of apply, then apply again: converges with a single target")
    func killNine() async throws {
        var world = FakeWorld.standard()
        // No sync progress until the test changes the world: the apply is mid-step when it is killed.
        world.behaviour.syncStepPerPoll = 0
        world.behaviour.pollMilliseconds = 50
        let cli = try CLIHarness(world: world)
        try cli.write("orders.yaml", migrationYAML())
        let running = try cli.start(["apply", "-f", "orders.yaml", "--auto-approve"])
        #expect(await running.waitForOutput("Waiting for full sync"))
        running.signal(SIGKILL)
        _ = await running.wait()
        let locked = try await cli.run("apply", "-f", cli.path("orders.yaml"), "--auto-approve")
        #expect(locked.code == 1)
        #expect(locked.out.contains("lock is stale"))
        #expect(try await cli.run("unlock", "orders-cache", "-f", cli.path("orders.yaml")).code == 0)
        var faster = try cli.world()
        faster.behaviour.syncStepPerPoll = 0.5
        try cli.setWorld(faster)
        let resumed = try await cli.run("apply", "-f", cli.path("orders.yaml"), "--auto-approve")
        #expect(resumed.code == 0, "\(resumed.all)")
        #expect(try cli.world().instances.count { $0.observed.createdByMigration == "orders-cache" } == 1)
        #expect(try await cli.run("plan", "-f", cli.path("orders.yaml"), "--detailed-exitcode").code == 0)
    }

    @Test("a step timeout from --timeout fails the step with advice; a bad --timeout is a usage error")
    func timeouts() async throws {
        var world = FakeWorld.standard()
        world.behaviour.syncStepPerPoll = 0.001
        world.behaviour.pollMilliseconds = 50
        let cli = try CLIHarness(world: world)
        try cli.write("orders.yaml", migrationYAML())
        let result = try await cli.run(
            "apply", "-f", cli.path("orders.yaml"), "--auto-approve", "--timeout", "wait-full-sync=1s")
        #expect(result.code == 1)
        #expect(result.out.contains("step orders-cache/wait-full-sync timed out after 1s"))
        let usage = try await cli.run("apply", "-f", cli.path("orders.yaml"), "--timeout", "nap=1s")
        #expect(usage.code == 64)
        #expect(usage.err.contains("expected KIND=DURATION"))
        #expect(try await cli.run("apply", "-f", cli.path("orders.yaml"), "--parallelism", "0").code == 64)
    }

    @Test("refusals stop the plan before any call, each at its spec line")
    func refusals() async throws {
        let cli = try CLIHarness()
        try cli.write(
            "orders.yaml",
            migrationYAML().replacingOccurrences(of: "vsw-bp1app0001", with: "vsw-bp1app0002"))
        let result = try await cli.run("apply", "-f", cli.path("orders.yaml"), "--auto-approve")
        #expect(result.code == 1)
        #expect(
            result.err.contains(
                "orders.yaml:14:16: error: migration \"orders-cache\": vSwitch vsw-bp1app0002 is in zone cn-hangzhou-i, not in cn-hangzhou-h"
            ))
        #expect(result.err.contains("Planning failed: 1 problem. Nothing was changed."))
        #expect(try cli.world().calls.isEmpty)
    }

    @Test("graph prints Mermaid and DOT")
    func graph() async throws {
        let cli = try CLIHarness()
        try cli.write("orders.yaml", migrationYAML(stage: "complete"))
        let mermaid = try await cli.run("graph", "-f", cli.path("orders.yaml"))
        #expect(mermaid.code == 0, "\(mermaid.all)")
        #expect(mermaid.out.hasPrefix("flowchart"))
        let dot = try await cli.run("graph", "-f", cli.path("orders.yaml"), "--format", "dot")
        #expect(dot.code == 0)
        #expect(dot.out.hasPrefix("digraph"))
    }

    @Test("help has examples for every command; completions are generated")
    func helpAndCompletions() async throws {
        let cli = try CLIHarness()
        for command in ["validate", "plan", "apply", "show", "graph", "unlock", "completion"] {
            let help = try await cli.run(command, "--help")
            #expect(help.code == 0)
            #expect(help.out.contains("Examples:"), "\(command)")
        }
        for shell in ["bash", "zsh", "fish"] {
            let script = try await cli.run("completion", shell)
            #expect(script.code == 0)
            #expect(script.out.contains("kvmove"))
        }
        #expect(try await cli.run("completion", "tcsh").code == 64)
    }

    @Test("an unset ${VAR} is reported at its column; a set one is used")
    func interpolation() async throws {
        var cli = try CLIHarness()
        try cli.write("env.yaml", migrationYAML(name: "orders-${KVMOVE_ENV}"))
        let unset = try await cli.run("validate", cli.path("env.yaml"))
        #expect(unset.code == 1)
        #expect(unset.err.contains("env.yaml:4:16: error:"))
        #expect(unset.err.contains("KVMOVE_ENV"))
        cli.environment["KVMOVE_ENV"] = "staging"
        let set = try await cli.run("plan", "-f", cli.path("env.yaml"))
        #expect(set.code == 0, "\(set.all)")
        #expect(set.out.contains("orders-staging"))
    }

    @Test("on a terminal, apply shows the plan in colour and applies only after 'yes'")
    func terminalPrompt() async throws {
        let cli = try CLIHarness()
        try cli.write("orders.yaml", migrationYAML())
        let declined = try await cli.runOnTerminal(["apply", "-f", "orders.yaml"], input: "no\n")
        #expect(declined.out.contains("Only 'yes' will be accepted to approve."), "\(declined.all)")
        #expect(declined.out.contains("Apply cancelled. Nothing was changed."))
        #expect(declined.out.contains("\u{1B}["))
        #expect(try cli.world().calls.isEmpty)
        let accepted = try await cli.runOnTerminal(["apply", "-f", "orders.yaml"], input: "yes\n")
        #expect(accepted.code == 0, "\(accepted.all)")
        #expect(accepted.out.contains("Apply complete!"))
        let plain = try await cli.runOnTerminal(
            ["plan", "-f", "orders.yaml"], input: "", environment: ["NO_COLOR": "1"])
        #expect(plain.code == 0)
        #expect(!plain.out.contains("\u{1B}["), "\(plain.out)")
        let flag = try await cli.runOnTerminal(["plan", "-f", "orders.yaml", "--no-color"], input: "")
        #expect(!flag.out.contains("\u{1B}["))
    }
}
