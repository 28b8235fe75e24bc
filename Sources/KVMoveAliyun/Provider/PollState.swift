/// One reading of a poll: done with a value, or still waiting (with what was seen, for progress).
enum PollState<Value: Sendable>: Sendable {
    case done(Value)
    case waiting(String)
}
