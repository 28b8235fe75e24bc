import Foundation
import KVMoveCore
import KVMoveSpec
import Testing

/// `spec.verify`: decoded when right (bad values are in the bad-spec corpus).
@Suite struct VerifySpecTests {
    @Test func decodesTheRate() throws {
        let result = try ConnectionSpecTests.load("  verify:\n    maxReadsPerSecond: 20000")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.specs.first?.verify == VerifySpec(maxReadsPerSecond: 20000))
    }

    @Test func absentOrEmptyMeansTheDefault() throws {
        let absent = try ConnectionSpecTests.load("")
        #expect(absent.specs.first?.verify == nil)
        let empty = try ConnectionSpecTests.load("  verify: {}")
        #expect(empty.diagnostics.isEmpty, "\(empty.diagnostics)")
        #expect(empty.specs.first?.verify == VerifySpec(maxReadsPerSecond: VerifySpec.defaultMaxReadsPerSecond))
    }
}
