import Yams

/// Composes every document of a YAML text with Yams, keeping those before the first error.
enum YAMLStream {
    /// The documents composed before the first error, and that error if there was one.
    struct Result {
        var roots: [Node]
        var error: (any Error)?
    }

    /// Composes `text` document by document.
    static func compose(_ text: String) -> Result {
        var roots: [Node] = []
        do {
            let parser = try Parser(yaml: text, resolver: .default, constructor: .default, encoding: .utf8)
            while let root = try parser.nextRoot() {
                roots.append(root)
            }
            return Result(roots: roots, error: nil)
        } catch {
            return Result(roots: roots, error: error)
        }
    }
}
