// TEMPORARY stand-in for SpecLoader.loadSandbox (owned by the spec loader's author); delete when it lands.
import Foundation
import KVMoveCore
import KVMoveSpec
import Yams

extension SpecLoader {
    func loadSandbox(paths: [String]) -> (sandbox: SandboxSpec?, diagnostics: [Diagnostic]) {
        struct Doc: Decodable {
            struct Meta: Decodable { var name: String }
            struct Spec: Decodable {
                var regions: [SandboxRegion]
                var vpcs: [VPC]
                var instances: [Inst]
            }
            struct VPC: Decodable {
                var id: String
                var region: String
                var vSwitches: [SandboxVSwitch]
            }
            struct Inst: Decodable {
                var id: String
                var name: String
                var region: String
                var zone: String
                var vpcId: String
                var vSwitchId: String
                var minorVersion: String
                var seed: Seed?
            }
            struct Seed: Decodable {
                var keys: Int
                var databases: Int?
                var valueBytes: Int?
                var elementsPerKey: Int?
                var ttlPercent: Int?
            }
            var kind: String
            var metadata: Meta
            var spec: Spec
        }
        guard let path = paths.first, let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            return (nil, [Diagnostic(.error, "cannot read \(paths.first ?? "")")])
        }
        do {
            let doc = try YAMLDecoder().decode(Doc.self, from: text)
            let spec = SandboxSpec(
                name: doc.metadata.name, regions: doc.spec.regions,
                vpcs: doc.spec.vpcs.map { SandboxVPC(id: $0.id, region: $0.region, vSwitches: $0.vSwitches) },
                instances: doc.spec.instances.map { i in
                    SandboxInstanceSpec(
                        id: i.id, name: i.name, region: i.region, zone: i.zone, vpcId: i.vpcId, vSwitchId: i.vSwitchId,
                        minorVersion: i.minorVersion,
                        seed: i.seed.map {
                            SeedSpec(
                                keys: $0.keys, databases: $0.databases ?? 1, valueBytes: $0.valueBytes ?? 100,
                                elementsPerKey: $0.elementsPerKey ?? 8, ttlPercent: $0.ttlPercent ?? 0)
                        })
                },
                locations: SpecLocations(document: SourceLocation(file: path, line: 1, column: 1)))
            return (spec, [])
        } catch {
            return (nil, [Diagnostic(.error, "\(path): \(error)")])
        }
    }
}
