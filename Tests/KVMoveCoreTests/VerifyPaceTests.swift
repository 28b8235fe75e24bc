import KVMoveCore
import KVMoveTestSupport
import Testing

/// `spec.verify.maxReadsPerSecond` is carried to the verification step, and the plan says the pace.
@Suite("Verification pace")
struct VerifyPaceTests {
    let planner = Planner(toolVersion: "test")

    func verification(_ plan: Plan) throws -> (PlannedVerification, Step) {
        let step = try #require(plan.steps.first { $0.kind == .verifyData })
        guard case .verification(let planned) = step.planned else {
            Issue.record("not a verification: \(step.planned)")
            throw CancellationError()
        }
        return (planned, step)
    }

    @Test("no spec.verify: the default pace, said in the risk note")
    func defaultPace() throws {
        let plan = try planner.plan([SpecFixtures.spec()], observed: ["orders-cache": Observed.fresh()], createdAt: "t")
        let (planned, step) = try verification(plan)
        #expect(planned.verify == nil)
        #expect(step.risks.contains { $0.contains("paced at 100000 reads/s") }, "\(step.risks)")
    }

    @Test("the spec's pace is carried through the plan; --verify-rate replaces it and its note")
    func specPaceAndOverride() throws {
        var spec = SpecFixtures.spec()
        spec.verify = VerifySpec(maxReadsPerSecond: 2500)
        let plan = try planner.plan([spec], observed: ["orders-cache": Observed.fresh()], createdAt: "t")
        let (planned, step) = try verification(plan)
        #expect(planned.verify?.maxReadsPerSecond == 2500)
        #expect(step.risks.contains { $0.contains("paced at 2500 reads/s") }, "\(step.risks)")
        let (overridden, overriddenStep) = try verification(plan.pacingVerification(at: 700))
        #expect(overridden.verify?.maxReadsPerSecond == 700)
        #expect(overriddenStep.risks.contains { $0.contains("paced at 700 reads/s") }, "\(overriddenStep.risks)")
        #expect(!overriddenStep.risks.contains { $0.contains("2500") })
    }
}
