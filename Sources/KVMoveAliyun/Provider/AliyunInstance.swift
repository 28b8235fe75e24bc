import KVMoveCore

/// One instance as `DescribeInstances` (`Instances.KVStoreInstance[]`) or
/// `DescribeInstanceAttribute` (`Instances.DBInstanceAttribute[]`) reports it.
struct AliyunInstance: Sendable, Hashable {
    var id: String
    var name: String
    var region: String
    var zone: String
    var vpcId: String
    var vSwitchId: String
    var status: String
    var instanceClass: String
    var engineVersion: String
    var shardCount: Int?
    var chargeType: String
    var groupId: String?
    var tags: [String: String]
    /// `Community` or `Enterprise`; absent from DescribeInstanceAttribute.
    var editionType: String?
    /// `Ecs` (cloud-native) or `Machine` (classic).
    var computingType: String?
    /// `standard`, `cluster` or `rwsplit`.
    var architectureType: String?
    /// `Tair`, `Redis` or `Memcache`.
    var instanceType: String?
    /// False while an order (create, billing change) is still being carried out; nil when not reported.
    var isOrderCompleted: Bool?

    /// Reads one item; nil when it has no `InstanceId`.
    init?(_ json: JSONValue) {
        guard let id = json["InstanceId"].string, !id.isEmpty else { return nil }
        self.id = id
        name = json["InstanceName"].string ?? ""
        region = json["RegionId"].string ?? ""
        zone = json["ZoneId"].string ?? ""
        vpcId = json["VpcId"].string ?? ""
        vSwitchId = json["VSwitchId"].string ?? ""
        status = json["InstanceStatus"].string ?? "Unknown"
        instanceClass =
            json["RealInstanceClass"].string.flatMap { $0.isEmpty ? nil : $0 }
            ?? json["InstanceClass"].string ?? ""
        engineVersion = json["EngineVersion"].string ?? ""
        let shards = json["ShardCount"].int
        architectureType = json["ArchitectureType"].string
        shardCount = architectureType == "standard" ? nil : (shards.flatMap { $0 > 0 ? $0 : nil })
        chargeType = json["ChargeType"].string ?? "PostPaid"
        groupId = json["GlobalInstanceId"].string.flatMap { $0.isEmpty ? nil : $0 }
        var tags: [String: String] = [:]
        for tag in json["Tags"]["Tag"].array {
            if let key = tag["Key"].string { tags[key] = tag["Value"].string ?? "" }
        }
        self.tags = tags
        editionType = json["EditionType"].string
        computingType = json["ComputingType"].string
        instanceType = json["InstanceType"].string
        isOrderCompleted = json["IsOrderCompleted"].isNull ? nil : json["IsOrderCompleted"].bool
    }

    /// True for cloud-native Tair classes, created with `CreateTairInstance`.
    static func isCloudNative(instanceClass: String) -> Bool {
        instanceClass.hasPrefix("tair.")
    }

    /// Why this instance cannot become a member of a distributed instance, with what to do; nil when it can.
    ///
    /// From the research notes (part 2 §2.2): Tair (Enterprise) DRAM-based instances, classic
    /// (`redis.amber.*`) or cloud-native memory-enhanced (`tair.rdb.*`), standard or cluster
    /// architecture, without a direct-connection endpoint.
    func groupIneligibility(hasDirectConnection: Bool) -> String? {
        let remedy =
            "; only Tair (Enterprise Edition) DRAM-based instances in the standard or cluster architecture can "
            + "join a distributed instance: upgrade the instance to Tair DRAM-based in the console first, or, for a "
            + "move within the same zone, change its VPC in place (SwitchNetwork), which kvmove does not do"
        if editionType == "Community"
            || instanceType == "Redis" && editionType == nil
                && !instanceClass.hasPrefix("redis.amber.") && !instanceClass.hasPrefix("tair.rdb.")
        {
            return "source \(id) is a Redis Open-Source (Community) Edition instance (class \(instanceClass))" + remedy
        }
        if instanceType == "Memcache" {
            return "source \(id) is a Memcache instance" + remedy
        }
        if architectureType == "rwsplit" {
            return "source \(id) uses the read/write splitting architecture" + remedy
        }
        let dram = instanceClass.hasPrefix("redis.amber.") || instanceClass.hasPrefix("tair.rdb.")
        if !dram {
            return "source \(id) has class \(instanceClass), which is not Tair DRAM-based (redis.amber.* or tair.rdb.*)"
                + remedy
        }
        if hasDirectConnection {
            return "source \(id) has a direct-connection endpoint; a cluster instance can join a distributed instance "
                + "only in proxy mode: release the direct connection (console: Connection Information, or "
                + "ReleaseDirectConnection) and move clients to the proxy endpoint, then plan again"
        }
        return nil
    }

    /// Core's view.
    func observed(minorVersion: String = "", syncCapable: Bool = true, billing: Billing? = nil) -> ObservedInstance {
        ObservedInstance(
            id: id, name: name, region: region, zone: zone, vpcId: vpcId, vSwitchId: vSwitchId, status: status,
            instanceClass: instanceClass, engineVersion: engineVersion, shardCount: shardCount,
            minorVersion: minorVersion, syncCapable: syncCapable,
            billing: billing ?? (chargeType == "PrePaid" ? .prePaid(periodMonths: nil, autoRenew: false) : .postPaid),
            groupId: groupId, tags: tags)
    }
}
