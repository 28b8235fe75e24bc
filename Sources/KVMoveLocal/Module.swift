/// Placeholder until the module's first real type lands.
enum KVMoveLocalModule {}
