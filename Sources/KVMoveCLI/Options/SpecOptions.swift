import ArgumentParser

/// Where the migration specs are: `-f` files and directories.
struct SpecOptions: ParsableArguments {
    @Option(
        name: [.customShort("f"), .customLong("file")],
        help: ArgumentHelp(
            "A spec file or a directory of them (*.yaml, *.yml, searched recursively). Repeatable.",
            valueName: "path"
        )
    )
    var paths: [String] = []
}
