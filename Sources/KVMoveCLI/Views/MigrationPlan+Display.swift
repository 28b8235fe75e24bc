import KVMoveCore

/// Short human descriptions of a migration plan, shared by the text and Markdown views.
extension MigrationPlan {
    /// `migration orders-cache (provider local, stage sync; observed: not-started)`.
    ///
    /// A provider that records the cloud site it works on shows it: `(provider aliyun, China site, …`.
    var displayHeader: String {
        let site = settings["site"].map { ", \($0 == "china" ? "China" : $0) site" } ?? ""
        return "migration \(spec.name) (provider \(spec.provider)\(site), stage \(spec.stage.rawValue); "
            + "observed: \(observedStage.rawValue))"
    }

    /// What was observed, for example `target r-… in group gr-…`.
    var observedDescription: String {
        let target = resources.targetId ?? "(unknown)"
        switch observedStage {
        case .notStarted:
            return "nothing created yet; source \(resources.sourceId)"
        case .syncing:
            return "target \(target) in group \(resources.groupId ?? "(unknown)")"
        case .cutOver:
            return "target \(target) stands alone; source \(resources.sourceId) still exists"
        case .completed:
            return "target \(target) stands alone; source and group released"
        }
    }

    /// `stage sync reached (target r-… in group gr-…)`, for migrations without steps.
    var convergedDescription: String {
        "stage \(spec.stage.rawValue) reached (\(observedDescription))"
    }
}
