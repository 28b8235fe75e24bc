/// The provider names of the spec language: what `spec.provider` may say.
///
/// The one list of them: the decoder checks specs against it and the CLI's provider registry
/// reports unknown names with it. `schemas/migration.schema.json` spells the same list; change both together.
package enum SpecProviders {
    /// Every name a spec may give in `spec.provider`, in the order messages list them.
    package static let names = ["local", "aliyun"]
}
