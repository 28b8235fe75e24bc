print("kvmove")
