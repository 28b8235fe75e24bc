import ArgumentParser

/// How a plan is rendered.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
    case markdown
}

/// `--output` and `--no-color`.
struct OutputOptions: ParsableArguments {
    @Option(help: "Output format: text, json (versioned, for policy checks) or markdown (for pull requests).")
    var output: OutputFormat = .text

    @Flag(
        name: .customLong("no-color"),
        help: "Never use colour (colour is used only on a terminal, unless NO_COLOR is set).")
    var noColor = false

    /// True when colour escapes may be written to standard output.
    var useColor: Bool { Terminal.colorEnabled(disabledByFlag: noColor) }
}
