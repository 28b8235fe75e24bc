import Foundation
import KVMoveCLI
import KVMoveCore
import KVMoveTestSupport

// A test-only executable: kvmove's command tree with every provider served by the fake cloud in
// the JSON world file named by KVMOVE_TEST_HOST_WORLD. KVMoveCLITests start it for what needs a
// real process (signals, kill -9, a terminal); it is not a product and is never shipped.
let variable = "KVMOVE_TEST_HOST_WORLD"
guard let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty else {
    FileHandle.standardError.write(Data("kvmove test host: set \(variable) to a fake world file\n".utf8))
    exit(70)
}
let store: FakeWorldStore
do {
    store = try FakeWorldStore(file: URL(fileURLWithPath: path))
} catch {
    FileHandle.standardError.write(Data("kvmove test host: cannot read \(variable)=\(path): \(error)\n".utf8))
    exit(70)
}
let context = CLIContext(makeProvider: { [store] name, _ in FakeProvider(name: name, store: store) })
exit(await KVMoveCommand.run(Array(CommandLine.arguments.dropFirst()), in: context))
