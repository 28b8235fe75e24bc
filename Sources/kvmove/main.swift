import KVMoveCLI

// The shipped binary: the command tree and the real providers, nothing else (see KVMoveCLI).
await KVMoveCommand.runAsMain()
