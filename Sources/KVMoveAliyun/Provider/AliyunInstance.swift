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

    /// Which answer an item comes from: their models differ in a few fields.
    enum Listing {
        /// `DescribeInstances` `Instances.KVStoreInstance[]`: has `EditionType`; no `RealInstanceClass`,
        /// no `IsOrderCompleted`.
        case instances
        /// `DescribeInstanceAttribute` `Instances.DBInstanceAttribute[]`: has `RealInstanceClass` and
        /// `IsOrderCompleted`; no `EditionType`.
        case attribute
    }

    /// Reads one item of `listing`; nil when it has no `InstanceId`.
    ///
    /// Only fields the official SDK's model of that answer has are read (``ResponseFields``).
    init?(_ json: JSONValue, from listing: Listing = .instances) {
        guard let id = json["InstanceId"].string, !id.isEmpty else { return nil }
        self.id = id
        name = json["InstanceName"].string ?? ""
        region = json["RegionId"].string ?? ""
        zone = json["ZoneId"].string ?? ""
        vpcId = json["VpcId"].string ?? ""
        vSwitchId = json["VSwitchId"].string ?? ""
        status = json["InstanceStatus"].string ?? "Unknown"
        instanceClass =
            (listing == .attribute ? json["RealInstanceClass"].string.flatMap { $0.isEmpty ? nil : $0 } : nil)
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
        editionType = listing == .instances ? json["EditionType"].string : nil
        computingType = json["ComputingType"].string
        instanceType = json["InstanceType"].string
        isOrderCompleted =
            listing == .attribute && !json["IsOrderCompleted"].isNull ? json["IsOrderCompleted"].bool : nil
    }

    /// True for cloud-native Tair classes, created with `CreateTairInstance`.
    static func isCloudNative(instanceClass: String) -> Bool {
        instanceClass.hasPrefix("tair.")
    }

    /// True for a cloud-native instance: `ComputingType` `Ecs`, or a `tair.*` class when the type is not reported.
    var isCloudNative: Bool {
        if let computingType { return computingType == "Ecs" }
        return Self.isCloudNative(instanceClass: instanceClass)
    }

    /// Why this instance cannot become a member of a distributed instance, with what to do; nil when it can.
    ///
    /// `CreateGlobalDistributeCache` converts only "a Tair DRAM-based instance that uses the classic
    /// deployment mode" (API reference, Nov 2025; zh "待转换的实例为 Tair内存型经典版"): a classic
    /// (`ComputingType` `Machine`, local-disk) `redis.amber.*` instance, standard or cluster, without a
    /// direct-connection endpoint. A cloud-native (`Ecs`) instance cannot be converted: the API starts a
    /// cloud-native distributed instance only from a new instance (`CreateTairInstance`
    /// `GlobalInstanceId=true`), which would not hold the source's data.
    func groupIneligibility(hasDirectConnection: Bool) -> String? {
        let remedy =
            "; only Tair (Enterprise Edition) DRAM-based instances in the classic deployment mode, standard or cluster "
            + "architecture, can become a distributed instance: upgrade the instance to Tair DRAM-based in the console "
            + "first, or, for a move within the same zone, change its VPC in place (SwitchNetwork), which kvmove does "
            + "not do"
        if editionType == "Community"
            || instanceType == "Redis" && editionType == nil
                && !instanceClass.hasPrefix("redis.amber.") && !instanceClass.hasPrefix("tair.rdb.")
        {
            return "source \(id) is a Redis Open-Source (Community) Edition instance (class \(instanceClass))" + remedy
        }
        if instanceType == "Memcache" {
            return "source \(id) is a Memcache instance" + remedy
        }
        if isCloudNative {
            return "source \(id) is a cloud-native instance (ComputingType \(computingType ?? "Ecs"), class "
                + "\(instanceClass)); CreateGlobalDistributeCache converts only a classic (local-disk) Tair DRAM-based "
                + "instance, and the API has no way to put an existing cloud-native instance into a distributed "
                + "instance (a cloud-native one starts from a new, empty instance). Move it with DTS, or, within "
                + "the same zone, change its VPC in place (SwitchNetwork in the console), which kvmove does not do"
        }
        if architectureType == "rwsplit" {
            return "source \(id) uses the read/write splitting architecture" + remedy
        }
        if !instanceClass.hasPrefix("redis.amber.") {
            return
                "source \(id) has class \(instanceClass), which is not a classic Tair DRAM-based class (redis.amber.*)"
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
