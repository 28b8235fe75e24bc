import Foundation
import KVMoveCore

/// The whole state of the fake cloud: instances, groups, networks and how the fake behaves.
///
/// It is Codable so the same world can live in memory (unit tests) or in a JSON file shared
/// with the test-only CLI host process (signal and kill -9 tests). The shipped binary never links it.
package struct FakeWorld: Codable, Hashable, Sendable {
    /// An instance plus what only the fake knows about it.
    package struct Instance: Codable, Hashable, Sendable {
        package var observed: ObservedInstance
        /// The idempotency token it was created with, if kvmove created it.
        package var token: String?
        /// Keys in it; copied on join, compared on verify.
        package var keys: Int

        package init(_ observed: ObservedInstance, token: String? = nil, keys: Int = 1000) {
            self.observed = observed
            self.token = token
            self.keys = keys
        }
    }

    /// A group plus the sync progress of each joined member.
    package struct Group: Codable, Hashable, Sendable {
        package var observed: ObservedGroup
        package var token: String?
        /// 0…1 per member id that joined after the first.
        package var progress: [String: Double]

        package init(_ observed: ObservedGroup, token: String? = nil, progress: [String: Double] = [:]) {
            self.observed = observed
            self.token = token
            self.progress = progress
        }
    }

    /// Knobs that make the fake slow, busy or failing, for tests.
    package struct Behaviour: Codable, Hashable, Sendable {
        /// Sync progress added per poll of a full-sync wait.
        package var syncStepPerPoll: Double
        /// Milliseconds between polls (and the delay of every mutating call).
        package var pollMilliseconds: Int
        /// Step kinds (raw values) that fail once with an injected error.
        package var failOnce: [String]
        /// Migration names whose verification finds mismatches.
        package var verifyMismatch: [String]
        /// Source ids that report client traffic for this many gate polls before going idle.
        package var busyPolls: [String: Int]
        /// Milliseconds every mutating call takes (to test interruption mid-call).
        package var callMilliseconds: Int
        /// Actions that fail this many more times with a retryable (5xx-like) error before they work.
        package var transientFailures: [String: Int]
        /// Actions that are carried out and then answered with a retryable error, once each (a lost reply).
        package var failAfterCommit: [String]
        /// Step kinds (raw values) whose request never answers; only cancellation (a timeout) ends it.
        package var hang: [String]

        package init(
            syncStepPerPoll: Double = 0.25,
            pollMilliseconds: Int = 1,
            failOnce: [String] = [],
            verifyMismatch: [String] = [],
            busyPolls: [String: Int] = [:],
            callMilliseconds: Int = 0,
            transientFailures: [String: Int] = [:],
            failAfterCommit: [String] = [],
            hang: [String] = []
        ) {
            self.syncStepPerPoll = syncStepPerPoll
            self.pollMilliseconds = pollMilliseconds
            self.failOnce = failOnce
            self.verifyMismatch = verifyMismatch
            self.busyPolls = busyPolls
            self.callMilliseconds = callMilliseconds
            self.transientFailures = transientFailures
            self.failAfterCommit = failAfterCommit
            self.hang = hang
        }

        private enum CodingKeys: String, CodingKey {
            case syncStepPerPoll, pollMilliseconds, failOnce, verifyMismatch, busyPolls, callMilliseconds
            case transientFailures, failAfterCommit, hang
        }

        package init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                syncStepPerPoll: try c.decodeIfPresent(Double.self, forKey: .syncStepPerPoll) ?? 0.25,
                pollMilliseconds: try c.decodeIfPresent(Int.self, forKey: .pollMilliseconds) ?? 1,
                failOnce: try c.decodeIfPresent([String].self, forKey: .failOnce) ?? [],
                verifyMismatch: try c.decodeIfPresent([String].self, forKey: .verifyMismatch) ?? [],
                busyPolls: try c.decodeIfPresent([String: Int].self, forKey: .busyPolls) ?? [:],
                callMilliseconds: try c.decodeIfPresent(Int.self, forKey: .callMilliseconds) ?? 0,
                transientFailures: try c.decodeIfPresent([String: Int].self, forKey: .transientFailures) ?? [:],
                failAfterCommit: try c.decodeIfPresent([String].self, forKey: .failAfterCommit) ?? [],
                hang: try c.decodeIfPresent([String].self, forKey: .hang) ?? [])
        }
    }

    package var instances: [Instance]
    package var groups: [Group]
    package var vpcs: [ObservedVPC]
    package var vSwitches: [ObservedVSwitch]
    /// Verification results per migration.
    package var verifications: [String: ObservedVerification]
    package var behaviour: Behaviour
    /// Every changing request carried out, as its description (`fake Action key=value …`, secrets redacted).
    package var calls: [String]
    /// Every request received, changing or not, as `Action` names, in order.
    package var received: [String]
    /// Passwords the fake received in clear for the instances it created: the proof that a request
    /// really carries its secret while every rendering redacts it.
    package var passwords: [String: String]
    package var nextId: Int

    package init(
        instances: [Instance] = [],
        groups: [Group] = [],
        vpcs: [ObservedVPC] = [],
        vSwitches: [ObservedVSwitch] = [],
        verifications: [String: ObservedVerification] = [:],
        behaviour: Behaviour = Behaviour(),
        calls: [String] = [],
        received: [String] = [],
        passwords: [String: String] = [:],
        nextId: Int = 1
    ) {
        self.instances = instances
        self.groups = groups
        self.vpcs = vpcs
        self.vSwitches = vSwitches
        self.verifications = verifications
        self.behaviour = behaviour
        self.calls = calls
        self.received = received
        self.passwords = passwords
        self.nextId = nextId
    }

    private enum CodingKeys: String, CodingKey {
        case instances, groups, vpcs, vSwitches, verifications, behaviour, calls, received, passwords, nextId
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            instances: try c.decodeIfPresent([Instance].self, forKey: .instances) ?? [],
            groups: try c.decodeIfPresent([Group].self, forKey: .groups) ?? [],
            vpcs: try c.decodeIfPresent([ObservedVPC].self, forKey: .vpcs) ?? [],
            vSwitches: try c.decodeIfPresent([ObservedVSwitch].self, forKey: .vSwitches) ?? [],
            verifications: try c.decodeIfPresent([String: ObservedVerification].self, forKey: .verifications) ?? [:],
            behaviour: try c.decodeIfPresent(Behaviour.self, forKey: .behaviour) ?? Behaviour(),
            calls: try c.decodeIfPresent([String].self, forKey: .calls) ?? [],
            received: try c.decodeIfPresent([String].self, forKey: .received) ?? [],
            passwords: try c.decodeIfPresent([String: String].self, forKey: .passwords) ?? [:],
            nextId: try c.decodeIfPresent(Int.self, forKey: .nextId) ?? 1)
    }

    /// A small world: a source in `vpc-a`/zone g of cn-hangzhou, and a `vpc-b` with a vSwitch in zone h.
    package static func standard(sourceSyncCapable: Bool = true, keys: Int = 1000) -> FakeWorld {
        FakeWorld(
            instances: [
                Instance(
                    ObservedInstance(
                        id: "r-bp1zxszhcgatnx0001",
                        name: "orders-cache-old",
                        region: "cn-hangzhou",
                        zone: "cn-hangzhou-g",
                        vpcId: "vpc-bp1old0001",
                        vSwitchId: "vsw-bp1old0001",
                        instanceClass: "redis.amber.master.2g.2db.0rodb.4proxy.multithread",
                        engineVersion: "7.0",
                        minorVersion: sourceSyncCapable ? "7.0.2.6" : "7.0.1.3",
                        syncCapable: sourceSyncCapable
                    ),
                    keys: keys
                )
            ],
            vpcs: [
                ObservedVPC(id: "vpc-bp1old0001", region: "cn-hangzhou"),
                ObservedVPC(id: "vpc-bp1app0001", region: "cn-hangzhou"),
            ],
            vSwitches: [
                ObservedVSwitch(id: "vsw-bp1old0001", vpcId: "vpc-bp1old0001", zone: "cn-hangzhou-g"),
                ObservedVSwitch(id: "vsw-bp1app0001", vpcId: "vpc-bp1app0001", zone: "cn-hangzhou-h"),
                ObservedVSwitch(id: "vsw-bp1app0002", vpcId: "vpc-bp1app0001", zone: "cn-hangzhou-i"),
            ]
        )
    }

    /// The live (not released) instance with `id`.
    package func instance(_ id: String) -> Instance? {
        instances.first { $0.observed.id == id && $0.observed.status != "Released" }
    }

    package mutating func update(instance id: String, _ change: (inout Instance) -> Void) {
        if let index = instances.firstIndex(where: { $0.observed.id == id }) { change(&instances[index]) }
    }

    package mutating func update(group id: String, _ change: (inout Group) -> Void) {
        if let index = groups.firstIndex(where: { $0.observed.id == id }) { change(&groups[index]) }
    }

    package mutating func makeId(_ prefix: String) -> String {
        defer { nextId += 1 }
        return "\(prefix)fake\(String(format: "%010d", nextId))"
    }
}
