/// Tag keys kvmove puts on what it creates.
package enum Tags {
    /// `kvmove:migration=<metadata.name>`.
    package static let migration = "kvmove:migration"
}
