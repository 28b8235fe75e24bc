import KVMoveCore

/// Decodes the body of a `kind: Sandbox` document into a ``SandboxSpec``.
///
/// Like ``MigrationDecoder`` it reads every field and reports everything wrong at once. It also
/// checks that the topology hangs together: every VPC's region exists, every vSwitch's zone is a
/// zone of that region, and every instance sits in a vSwitch of its VPC in its zone. The keys
/// and rules are the ones `schemas/sandbox.schema.json` describes; change both together.
struct SandboxDecoder {
    /// Keys of one seed mapping.
    static let seedKeys = ["keys", "databases", "types", "valueBytes", "elementsPerKey", "ttlPercent", "randomSeed"]

    var context: DecodingContext

    /// Decodes the document whose top level is `root`; `apiVersion` and `kind` were checked already.
    mutating func decode(_ root: MappingReader) -> SandboxSpec? {
        let errorsBefore = context.diagnostics.errorCount
        root.checkKeys(allowed: ["apiVersion", "kind", "metadata", "spec"], diagnostics: &context.diagnostics)
        let name = root.required("metadata", diagnostics: &context.diagnostics)
            .flatMap { context.mapping($0, path: "metadata") }
            .flatMap { metadata -> String? in
                metadata.checkKeys(allowed: ["name"], diagnostics: &context.diagnostics)
                return context.requiredString(metadata, "name") { NameRules.checkMigrationName($0, path: $1) }
            }
        let body = root.required("spec", diagnostics: &context.diagnostics)
            .flatMap { context.mapping($0, path: "spec") }
            .flatMap { decodeSpec($0) }
        guard let name, var body, context.diagnostics.errorCount == errorsBefore else { return nil }
        body.name = name
        return body
    }

    private mutating func decodeSpec(_ spec: MappingReader) -> SandboxSpec? {
        spec.checkKeys(allowed: ["regions", "vpcs", "instances"], diagnostics: &context.diagnostics)
        let regions = list(spec, "regions", required: true) { decoder, item in decoder.decodeRegion(item) }
        let vpcs = list(spec, "vpcs", required: true) { decoder, item in decoder.decodeVPC(item) }
        let instances = list(spec, "instances", required: false) { decoder, item in decoder.decodeInstance(item) }
        guard let regions, let vpcs, let instances else { return nil }
        let sandbox = SandboxSpec(
            name: "", regions: regions.map(\.value), vpcs: vpcs.map(\.value), instances: instances.map(\.value))
        checkTopology(regions: regions, vpcs: vpcs, instances: instances)
        return sandbox
    }

    /// A decoded list element and the mapping it came from, for cross-reference messages.
    struct Item<Value> {
        var value: Value
        var reader: MappingReader
    }

    /// Decodes a list of mappings under `key`; nil when the list or any element is wrong.
    private mutating func list<Value>(
        _ mapping: MappingReader,
        _ key: String,
        required: Bool,
        _ element: (inout SandboxDecoder, MappingReader) -> Value?
    ) -> [Item<Value>]? {
        let path = mapping.path(of: key)
        let found = required ? mapping.required(key, diagnostics: &context.diagnostics) : mapping.entry(key)
        guard let entry = found else { return required ? nil : [] }
        context.record(path, entry)
        guard case .sequence(let nodes) = entry.value.value else {
            context.diagnostics.report("\(path) must be a list, found \(entry.value.foundDescription)", at: entry.value)
            return nil
        }
        var items: [Item<Value>] = []
        var failed = false
        for (index, node) in nodes.enumerated() {
            guard
                let reader = MappingReader(
                    node, path: "\(path)[\(index)]", key: nil, diagnostics: &context.diagnostics)
            else {
                failed = true
                continue
            }
            if let value = element(&self, reader) {
                items.append(Item(value: value, reader: reader))
            } else {
                failed = true
            }
        }
        return failed ? nil : items
    }

    private mutating func decodeRegion(_ region: MappingReader) -> SandboxRegion? {
        region.checkKeys(allowed: ["id", "zones"], diagnostics: &context.diagnostics)
        let id = context.requiredString(region, "id") { NameRules.checkNonEmpty($0, path: $1) }
        let zones = stringList(region, "zones")
        guard let id, let zones else { return nil }
        return SandboxRegion(id: id, zones: zones)
    }

    private mutating func decodeVPC(_ vpc: MappingReader) -> SandboxVPC? {
        vpc.checkKeys(allowed: ["id", "region", "vSwitches"], diagnostics: &context.diagnostics)
        let id = context.requiredString(vpc, "id") {
            NameRules.checkID($0, prefix: "vpc-", example: "vpc-a", what: "a VPC", path: $1)
        }
        let region = context.requiredString(vpc, "region") { NameRules.checkNonEmpty($0, path: $1) }
        let vSwitches = list(vpc, "vSwitches", required: true) { decoder, item -> SandboxVSwitch? in
            item.checkKeys(allowed: ["id", "zone"], diagnostics: &decoder.context.diagnostics)
            let id = decoder.context.requiredString(item, "id") {
                NameRules.checkID($0, prefix: "vsw-", example: "vsw-a-g", what: "a vSwitch", path: $1)
            }
            let zone = decoder.context.requiredString(item, "zone") { NameRules.checkNonEmpty($0, path: $1) }
            guard let id, let zone else { return nil }
            return SandboxVSwitch(id: id, zone: zone)
        }
        guard let id, let region, let vSwitches else { return nil }
        return SandboxVPC(id: id, region: region, vSwitches: vSwitches.map(\.value))
    }

    private mutating func decodeInstance(_ instance: MappingReader) -> SandboxInstanceSpec? {
        instance.checkKeys(
            allowed: [
                "id", "name", "region", "zone", "vpcId", "vSwitchId", "instanceClass", "engineVersion",
                "minorVersion", "billing", "seed",
            ],
            diagnostics: &context.diagnostics
        )
        let id = context.requiredString(instance, "id") {
            NameRules.checkID($0, prefix: "r-", example: "r-source0001", what: "an instance", path: $1)
        }
        let name = context.requiredString(instance, "name") { NameRules.checkResourceName($0, path: $1) }
        let region = context.requiredString(instance, "region") { NameRules.checkNonEmpty($0, path: $1) }
        let zone = context.requiredString(instance, "zone") { NameRules.checkNonEmpty($0, path: $1) }
        let vpcID = context.requiredString(instance, "vpcId") {
            NameRules.checkID($0, prefix: "vpc-", example: "vpc-a", what: "a VPC", path: $1)
        }
        let vSwitchID = context.requiredString(instance, "vSwitchId") {
            NameRules.checkID($0, prefix: "vsw-", example: "vsw-a-g", what: "a vSwitch", path: $1)
        }
        let instanceClass = optionalString(instance, "instanceClass", default: "redis.master.small.default")
        let engine = optionalString(instance, "engineVersion", default: "7.0")
        let minor = context.requiredString(instance, "minorVersion") { value, path in
            value.split(separator: ".").allSatisfy { Int($0) != nil } && value.contains(".")
                ? nil : "\(path) must be a dotted version like 7.0.2.6, found \(quoted(value))"
        }
        var billing: Billing? = .postPaid
        if let entry = instance.entry("billing") {
            billing = context.mapping(entry, path: instance.path(of: "billing")).flatMap { context.billing($0) }
        }
        var seed: SeedSpec?? = .some(nil)
        if let entry = instance.entry("seed") {
            let decoded = context.mapping(entry, path: instance.path(of: "seed")).flatMap { decodeSeed($0) }
            seed = decoded.map { .some($0) }
        }
        guard let id, let name, let region, let zone, let vpcID, let vSwitchID, let instanceClass, let engine,
            let minor, let billing, let seed
        else { return nil }
        return SandboxInstanceSpec(
            id: id, name: name, region: region, zone: zone, vpcId: vpcID, vSwitchId: vSwitchID,
            instanceClass: instanceClass, engineVersion: engine, minorVersion: minor, billing: billing, seed: seed)
    }

    private mutating func decodeSeed(_ seed: MappingReader) -> SeedSpec? {
        seed.checkKeys(allowed: Self.seedKeys, diagnostics: &context.diagnostics)
        let keys = bounded(seed, "keys", required: true, 0...50_000_000)
        let databases = bounded(seed, "databases", required: false, 1...16)
        let valueBytes = bounded(seed, "valueBytes", required: false, 1...(64 << 20))
        let elements = bounded(seed, "elementsPerKey", required: false, 1...1_000_000)
        let ttl = bounded(seed, "ttlPercent", required: false, 0...100)
        let randomSeed = bounded(seed, "randomSeed", required: false, 0...Int.max)
        var types: [SeedType]? = SeedType.allCases
        if let entry = seed.entry("types") {
            types = stringList(seed, "types").flatMap { names -> [SeedType]? in
                let allowed = SeedType.allCases.map(\.rawValue)
                let bad = names.filter { !allowed.contains($0) }
                if bad.isEmpty && !names.isEmpty { return names.compactMap(SeedType.init(rawValue:)) }
                let what = names.isEmpty ? "an empty list" : bad.map(quoted).joined(separator: ", ")
                context.diagnostics.report(
                    "\(seed.path(of: "types")) must list types from \(allowed.joined(separator: ", ")), found \(what)",
                    at: entry.value)
                return nil
            }
        }
        guard let keys, let databases, let valueBytes, let elements, let ttl, let randomSeed, let types else {
            return nil
        }
        return SeedSpec(
            keys: keys ?? 0, databases: databases ?? 1, types: types, valueBytes: valueBytes ?? 100,
            elementsPerKey: elements ?? 8, ttlPercent: ttl ?? 0, randomSeed: UInt64(randomSeed ?? 1))
    }

    /// An integer field within `range`: `.some(nil)` when optional and absent, nil after an error.
    private mutating func bounded(_ mapping: MappingReader, _ key: String, required: Bool, _ range: ClosedRange<Int>)
        -> Int??
    {
        let path = mapping.path(of: key)
        let found = required ? mapping.required(key, diagnostics: &context.diagnostics) : mapping.entry(key)
        guard let entry = found else { return required ? nil : .some(nil) }
        guard let value = context.integer(entry, path: path) else { return nil }
        guard range.contains(value) else {
            context.diagnostics.report(
                "\(path) must be between \(range.lowerBound) and \(range.upperBound), found \(value)", at: entry.value)
            return nil
        }
        return .some(value)
    }

    /// A list of strings under `key` (required).
    private mutating func stringList(_ mapping: MappingReader, _ key: String) -> [String]? {
        let path = mapping.path(of: key)
        guard let entry = mapping.required(key, diagnostics: &context.diagnostics) else { return nil }
        context.record(path, entry)
        guard case .sequence(let nodes) = entry.value.value else {
            context.diagnostics.report("\(path) must be a list, found \(entry.value.foundDescription)", at: entry.value)
            return nil
        }
        var values: [String] = []
        for node in nodes {
            guard let scalar = node.scalar, scalar.kind == .string else {
                context.diagnostics.report(
                    "\(path) must list strings, found \(node.foundDescription)", at: node)
                return nil
            }
            values.append(scalar.text)
        }
        return values
    }

    /// An optional string: `fallback` when absent, nil after an error.
    private mutating func optionalString(_ mapping: MappingReader, _ key: String, default fallback: String) -> String? {
        guard let entry = mapping.entry(key) else { return fallback }
        return context.string(entry, path: mapping.path(of: key))
    }

    // MARK: - Topology

    private mutating func checkTopology(
        regions: [Item<SandboxRegion>], vpcs: [Item<SandboxVPC>], instances: [Item<SandboxInstanceSpec>]
    ) {
        var zonesByRegion: [String: Set<String>] = [:]
        for region in regions {
            if zonesByRegion[region.value.id] != nil {
                report(region.reader, "id", "region \(quoted(region.value.id)) is declared twice")
            }
            zonesByRegion[region.value.id] = Set(region.value.zones)
        }
        var vpcByID: [String: SandboxVPC] = [:]
        for vpc in vpcs {
            if vpcByID[vpc.value.id] != nil {
                report(vpc.reader, "id", "VPC \(quoted(vpc.value.id)) is declared twice")
            }
            vpcByID[vpc.value.id] = vpc.value
            guard let zones = zonesByRegion[vpc.value.region] else {
                report(vpc.reader, "region", "region \(quoted(vpc.value.region)) is not declared in spec.regions")
                continue
            }
            for (index, vSwitch) in vpc.value.vSwitches.enumerated() where !zones.contains(vSwitch.zone) {
                let message =
                    "vSwitch \(vSwitch.id) is in zone \(quoted(vSwitch.zone)), which is not a zone of region "
                    + "\(vpc.value.region) (zones: \(zones.sorted().joined(separator: ", ")))"
                if let node = element(of: vpc.reader, "vSwitches", index)?.entries?.first(where: { $0.key == "zone" }) {
                    context.diagnostics.report(message, at: node.value)
                } else {
                    report(vpc.reader, "vSwitches", message)
                }
            }
        }
        var seenIDs: Set<String> = []
        var seenNames: Set<String> = []
        for instance in instances {
            let value = instance.value
            if !seenIDs.insert(value.id).inserted {
                report(instance.reader, "id", "instance id \(quoted(value.id)) is declared twice")
            }
            if !seenNames.insert("\(value.region)/\(value.name)").inserted {
                report(instance.reader, "name", "instance name \(quoted(value.name)) is used twice in \(value.region)")
            }
            guard let vpc = vpcByID[value.vpcId] else {
                report(instance.reader, "vpcId", "VPC \(quoted(value.vpcId)) is not declared in spec.vpcs")
                continue
            }
            if vpc.region != value.region {
                report(instance.reader, "region", "VPC \(vpc.id) is in region \(vpc.region), not \(value.region)")
            }
            guard let vSwitch = vpc.vSwitches.first(where: { $0.id == value.vSwitchId }) else {
                report(instance.reader, "vSwitchId", "vSwitch \(quoted(value.vSwitchId)) is not a vSwitch of \(vpc.id)")
                continue
            }
            if vSwitch.zone != value.zone {
                report(instance.reader, "zone", "vSwitch \(vSwitch.id) is in zone \(vSwitch.zone), not \(value.zone)")
            }
        }
    }

    /// The `index`th element of the list under `key`.
    private func element(of reader: MappingReader, _ key: String, _ index: Int) -> SpecNode? {
        guard case .sequence(let nodes)? = reader.entry(key)?.value.value, nodes.indices.contains(index) else {
            return nil
        }
        return nodes[index]
    }

    private mutating func report(_ reader: MappingReader, _ key: String, _ message: String) {
        if let entry = reader.entry(key) {
            context.diagnostics.report(message, at: entry.value)
        } else {
            context.diagnostics.report(message, at: reader.anchor)
        }
    }
}
