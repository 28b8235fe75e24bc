extension Plan {
    /// The plan with every verification paced at `readsPerSecond` (`kvmove apply --verify-rate`), risk note too.
    package func pacingVerification(at readsPerSecond: Int) -> Plan {
        var plan = self
        let pace = VerifySpec(maxReadsPerSecond: readsPerSecond)
        for migration in plan.migrations.indices {
            for index in plan.migrations[migration].steps.indices {
                guard case .verification(var planned) = plan.migrations[migration].steps[index].planned else {
                    continue
                }
                let previous = (planned.verify ?? VerifySpec()).riskNote
                planned.verify = pace
                plan.migrations[migration].steps[index].planned = .verification(planned)
                plan.migrations[migration].steps[index].risks = plan.migrations[migration].steps[index].risks.map {
                    $0 == previous ? pace.riskNote : $0
                }
            }
        }
        return plan
    }
}
