import Foundation
import KVMoveCore
import KVMoveSpec
import Testing

/// The bad-spec corpus: each `Fixtures/bad/NAME.yaml` must produce exactly `NAME.expected`.
///
/// Run with `RECORD_FIXTURES=1` to (re)write the expectations into the source tree, then review
/// every changed `.expected` file by eye: the expectations are the contract. Tests read the copy
/// in the test bundle, so build again after recording before comparing.
@Suite struct BadSpecTests {
    @Test(arguments: FixtureFiles.badNames)
    func diagnosticsMatchExpectation(name: String) throws {
        let rendered = FixtureFiles.renderBad(name, environment: FixtureFiles.badEnvironment)
        let expectedURL = FixtureFiles.root.appendingPathComponent("bad/\(name).expected")
        if ProcessInfo.processInfo.environment["RECORD_FIXTURES"] == "1" {
            let sourceURL = FixtureFiles.repositoryRoot
                .appendingPathComponent("Tests/KVMoveSpecTests/Fixtures/bad/\(name).expected")
            try (rendered + "\n").write(to: sourceURL, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: expectedURL, encoding: .utf8)
        #expect(rendered + "\n" == expected, "\(name): got\n\(rendered)")
    }

    @Test func corpusIsLargeEnough() {
        #expect(FixtureFiles.badNames.count >= 35)
    }

    @Test func everyBadSpecHasAnError() {
        for name in FixtureFiles.badNames {
            let prefix = FixtureFiles.root.path + "/"
            let result = SpecLoader(environment: FixtureFiles.badEnvironment).load(paths: [prefix + "bad/\(name).yaml"])
            #expect(result.hasErrors, "\(name) loaded without errors")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func billionLaughsFinishesFast() {
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            let result = SpecLoader(environment: [:]).load(paths: [FixtureFiles.root.path + "/bad/billion-laughs.yaml"])
            #expect(result.hasErrors)
            #expect(result.specs.isEmpty)
        }
        #expect(elapsed < .seconds(2))
    }
}
