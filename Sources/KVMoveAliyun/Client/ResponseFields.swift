/// Every field of a successful API answer that the provider reads: one entry per read path.
///
/// The contract test (`AliyunContractTests`) holds each against the official SDK's response model
/// of that action (nesting and type), so a field the API does not have, or a type read wrong, fails
/// CI. Reading a new field means adding it here. `[]` marks a list element; the type is the model's
/// (`string`, `integer`, `boolean`); kvmove reads numbers and flags leniently, so `Port` (a string in
/// the model) is parsed as a number and `OrderId` (an integer) is kept as text.
package enum ResponseFields {
    /// One read path.
    package struct Read: Sendable, Hashable {
        package var service: Endpoints.Service
        package var action: String
        package var path: String
        package var type: String
    }

    private static func reads(_ service: Endpoints.Service, _ action: String, _ fields: [(String, String)]) -> [Read] {
        fields.map { Read(service: service, action: action, path: $0.0, type: $0.1) }
    }

    /// The instance fields ``AliyunInstance`` reads from either listing.
    private static let instanceFields: [(String, String)] = [
        ("InstanceId", "string"), ("InstanceName", "string"), ("RegionId", "string"), ("ZoneId", "string"),
        ("VpcId", "string"), ("VSwitchId", "string"), ("InstanceStatus", "string"), ("InstanceClass", "string"),
        ("EngineVersion", "string"), ("ShardCount", "integer"), ("ArchitectureType", "string"),
        ("ChargeType", "string"), ("GlobalInstanceId", "string"), ("ComputingType", "string"),
        ("InstanceType", "string"), ("Tags.Tag[].Key", "string"), ("Tags.Tag[].Value", "string"),
    ]

    /// Every read path, by action.
    package static let all: [Read] =
        reads(
            .rKVStore, "DescribeInstances",
            instanceFields.map { ("Instances.KVStoreInstance[].\($0.0)", $0.1) } + [
                ("Instances.KVStoreInstance[].EditionType", "string"), ("TotalCount", "integer"),
            ])
        + reads(
            .rKVStore, "DescribeInstanceAttribute",
            instanceFields.map { ("Instances.DBInstanceAttribute[].\($0.0)", $0.1) } + [
                ("Instances.DBInstanceAttribute[].RealInstanceClass", "string"),
                ("Instances.DBInstanceAttribute[].IsOrderCompleted", "boolean"),
            ])
        + reads(
            .rKVStore, "DescribeEngineVersion",
            [("EnableUpgradeMinorVersion", "boolean"), ("IsLatestVersion", "boolean"), ("MinorVersion", "string")])
        + reads(
            .rKVStore, "DescribeDBInstanceNetInfo",
            [
                ("NetInfoItems.InstanceNetInfo[].DirectConnection", "integer"),
                ("NetInfoItems.InstanceNetInfo[].IPType", "string"),
                ("NetInfoItems.InstanceNetInfo[].ConnectionString", "string"),
                ("NetInfoItems.InstanceNetInfo[].IPAddress", "string"),
                ("NetInfoItems.InstanceNetInfo[].Port", "string"),
            ])
        + reads(
            .rKVStore, "DescribeGlobalDistributeCache",
            [
                ("GlobalDistributeCaches[].GlobalInstanceId", "string"), ("GlobalDistributeCaches[].Status", "string"),
                ("GlobalDistributeCaches[].SubInstances[].InstanceID", "string"),
                ("GlobalDistributeCaches[].SubInstances[].InstanceStatus", "string"), ("TotalRecordCount", "integer"),
            ])
        + reads(
            .rKVStore, "DescribeSecurityIps",
            [
                ("SecurityIpGroups.SecurityIpGroup[].SecurityIpGroupName", "string"),
                ("SecurityIpGroups.SecurityIpGroup[].SecurityIpList", "string"),
            ])
        + reads(.rKVStore, "CreateGlobalDistributeCache", [("GlobalInstanceId", "string"), ("RequestId", "string")])
        + reads(.rKVStore, "CreateInstance", [("InstanceId", "string"), ("OrderId", "integer")])
        + reads(.rKVStore, "CreateTairInstance", [("InstanceId", "string"), ("OrderId", "integer")])
        + reads(.rKVStore, "TransformInstanceChargeType", [("OrderId", "string")])
        + reads(
            .vpc, "DescribeVpcs",
            [("Vpcs.Vpc[].VpcId", "string"), ("Vpcs.Vpc[].RegionId", "string"), ("TotalCount", "integer")])
        + reads(
            .vpc, "DescribeVSwitches",
            [
                ("VSwitches.VSwitch[].VSwitchId", "string"), ("VSwitches.VSwitch[].VpcId", "string"),
                ("VSwitches.VSwitch[].ZoneId", "string"), ("VSwitches.VSwitch[].CidrBlock", "string"),
                ("TotalCount", "integer"),
            ])
        + ["AssumeRole", "AssumeRoleWithOIDC"].flatMap { action in
            reads(
                .sts, action,
                [
                    ("Credentials.AccessKeyId", "string"), ("Credentials.AccessKeySecret", "string"),
                    ("Credentials.SecurityToken", "string"), ("Credentials.Expiration", "string"),
                ])
        }
}
