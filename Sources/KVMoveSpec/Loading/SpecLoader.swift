import KVMoveCore
import Yams

/// Loads `kind: Migration` documents from YAML files into ``MigrationSpec`` values.
///
/// Problems never stop the loader: it reads every file and document and reports each problem
/// as a ``Diagnostic`` with `file:line:col`, the source line and an underline. Yams is used for
/// parsing only; strict keys, types, names and `${VAR}` interpolation are checked here.
package struct SpecLoader: Sendable {
    /// Values for `${VAR}` references.
    package var environment: [String: String]

    package init(environment: [String: String]) {
        self.environment = environment
    }

    /// Loads every migration from files and directories (recursively, *.yaml / *.yml, sorted paths).
    package func load(paths: [String]) -> SpecLoadResult {
        var result = SpecLoadResult()
        var loaded: [FileLoad] = []
        for item in SpecPathWalker.expand(paths) {
            switch item {
            case .problem(let diagnostic):
                // Kept in its place among the files, so diagnostics follow the order of the paths.
                loaded.append(FileLoad(failed: diagnostic, file: ""))
            case .file(let path):
                result.files.append(path)
                switch SpecFileReader.read(path: path) {
                case .success(let text):
                    loaded.append(loadFile(text: text, file: path))
                case .failure(let diagnostic):
                    loaded.append(FileLoad(failed: diagnostic, file: path))
                }
            }
        }
        checkUniqueNames(&loaded)
        result.diagnostics = loaded.flatMap(\.diagnostics.sorted)
        result.specs = loaded.flatMap(\.specs)
        result.sandboxes = loaded.flatMap(\.sandboxes)
        return result
    }

    /// Loads the one `kind: Sandbox` document from files and directories.
    ///
    /// Migration documents among them are checked too (their problems are reported) but not
    /// returned. No sandbox, or more than one, is an error.
    package func loadSandbox(paths: [String]) -> (sandbox: SandboxSpec?, diagnostics: [Diagnostic]) {
        let result = load(paths: paths)
        var diagnostics = result.diagnostics
        if result.hasErrors { return (nil, diagnostics) }
        switch result.sandboxes.count {
        case 1:
            return (result.sandboxes[0], diagnostics)
        case 0:
            diagnostics.append(
                Diagnostic(
                    .error,
                    "no kind: Sandbox document in \(paths.joined(separator: ", ")); "
                        + "see examples/local/sandbox.yaml and schemas/sandbox.schema.json"))
            return (nil, diagnostics)
        default:
            let places = result.sandboxes.compactMap { $0.locations.document?.description }
            diagnostics.append(
                Diagnostic(
                    .error,
                    "\(result.sandboxes.count) kind: Sandbox documents found (\(places.joined(separator: ", "))); "
                        + "sandbox up takes exactly one"))
            return (nil, diagnostics)
        }
    }

    /// Loads one file's text (for tests and stdin).
    package func load(text: String, file: String) -> SpecLoadResult {
        var loaded: [FileLoad]
        if text.utf8.count > SpecFileReader.maxBytes {
            let diagnostic = SpecFileReader.tooLarge(file: file, bytes: text.utf8.count)
            loaded = [FileLoad(failed: diagnostic, file: file)]
        } else {
            let body = text.unicodeScalars.first == "\u{FEFF}" ? String(text.unicodeScalars.dropFirst()) : text
            loaded = [loadFile(text: body, file: file)]
        }
        checkUniqueNames(&loaded)
        var result = SpecLoadResult(
            specs: loaded.flatMap(\.specs),
            diagnostics: loaded.flatMap(\.diagnostics.sorted),
            files: [file]
        )
        result.sandboxes = loaded.flatMap(\.sandboxes)
        return result
    }

    /// One file's outcome, before names are checked across files.
    fileprivate struct FileLoad {
        var specs: [MigrationSpec]
        var sandboxes: [SandboxSpec] = []
        var diagnostics: FileDiagnostics
    }

    /// One decoded document.
    private enum Document {
        case migration(MigrationSpec)
        case sandbox(SandboxSpec)
    }

    private func loadFile(text: String, file: String) -> FileLoad {
        let source = SourceText(text)
        var diagnostics = FileDiagnostics(file: file, source: source)
        if let found = AliasKeyGuard(source: source).check() {
            diagnostics.report(.error, found.message, at: found.position, length: found.length)
            return FileLoad(specs: [], diagnostics: diagnostics)
        }
        let stream = YAMLStream.compose(text)
        var specs: [MigrationSpec] = []
        var sandboxes: [SandboxSpec] = []
        var documents = 0
        for root in stream.roots {
            if case .scalar = root, root.tag.rawValue == Tag.Name.null.rawValue {
                continue  // an empty document between `---` markers
            }
            documents += 1
            switch loadDocument(root, source: source, diagnostics: &diagnostics) {
            case .migration(let spec)?: specs.append(spec)
            case .sandbox(let sandbox)?: sandboxes.append(sandbox)
            case nil: break
            }
        }
        if let error = stream.error {
            YAMLErrorTranslator(source: source).report(error, into: &diagnostics)
        } else if documents == 0 {
            let blank = text.unicodeScalars.allSatisfy { $0.properties.isWhitespace }
            diagnostics.reportFile(
                blank
                    ? "file is empty; expected a kind: Migration document"
                    : "file has no documents, only comments or empty documents; expected a kind: Migration document"
            )
        }
        return FileLoad(specs: specs, sandboxes: sandboxes, diagnostics: diagnostics)
    }

    private func loadDocument(_ root: Node, source: SourceText, diagnostics: inout FileDiagnostics) -> Document? {
        var builder = SpecNodeBuilder(interpolator: Interpolator(environment: environment), source: source)
        let tree: SpecNode
        do {
            tree = try builder.build(root)
        } catch {
            let start =
                root.mark.map { SourcePosition(line: $0.line, column: $0.column) }
                ?? SourcePosition(line: 1, column: 1)
            diagnostics.report(
                .error,
                "document expands to more than \(SpecNodeBuilder.nodeLimit) nodes through aliases; "
                    + "refusing to load it (aliases nested like a \"billion laughs\" file?)",
                at: start
            )
            return nil
        }
        for problem in builder.problems {
            diagnostics.report(.error, problem.message, at: problem.position, length: problem.length)
        }
        var context = DecodingContext(diagnostics: diagnostics)
        defer { diagnostics = context.diagnostics }
        let errorsBefore = context.diagnostics.errorCount
        guard let reader = MappingReader(tree, path: "", key: nil, diagnostics: &context.diagnostics),
            let kind = DocumentHeader.read(reader, accepting: DocumentKind.allCases, context: &context)
        else { return nil }
        switch kind {
        case .migration:
            var decoder = MigrationDecoder(context: context)
            let decoded = decoder.decode(reader)
            context = decoder.context
            guard var spec = decoded, context.diagnostics.errorCount == errorsBefore else { return nil }
            spec.locations = SpecLocations(document: diagnostics.location(tree.position), fields: context.fields)
            return .migration(spec)
        case .sandbox:
            var decoder = SandboxDecoder(context: context)
            let decoded = decoder.decode(reader)
            context = decoder.context
            guard var sandbox = decoded, context.diagnostics.errorCount == errorsBefore else { return nil }
            sandbox.locations = SpecLocations(document: diagnostics.location(tree.position), fields: context.fields)
            return .sandbox(sandbox)
        }
    }

    /// Reports migrations that share a `metadata.name`, at the second definition, and drops them.
    private func checkUniqueNames(_ loads: inout [FileLoad]) {
        var first: [String: SourceLocation] = [:]
        for index in loads.indices {
            var file = loads[index]
            var kept: [MigrationSpec] = []
            for spec in file.specs {
                guard let location = spec.locations.fields["metadata.name"] else {
                    kept.append(spec)
                    continue
                }
                guard let earlier = first[spec.name] else {
                    first[spec.name] = location
                    kept.append(spec)
                    continue
                }
                file.diagnostics.report(
                    .error,
                    "duplicate migration name \(quoted(spec.name)); first defined at \(earlier)",
                    at: SourcePosition(line: location.line, column: location.column),
                    length: file.diagnostics.tokenLength(
                        at: SourcePosition(line: location.line, column: location.column))
                )
            }
            file.specs = kept
            loads[index] = file
        }
    }
}

extension SpecLoader.FileLoad {
    /// A file (or path) that could not be read at all.
    init(failed diagnostic: Diagnostic, file: String) {
        var diagnostics = FileDiagnostics(file: file, source: SourceText(""))
        diagnostics.append(diagnostic)
        self.init(specs: [], diagnostics: diagnostics)
    }
}
