import EnvTesting
import Foundation
import Testing

@testable import Env

@Suite("BudgetField in the server: Budget and RunLimits read through it, never a trapping conversion")
struct BudgetFieldTests {
    /// The numbers a hostile client tries first, in every field.
    static let extremes = SeededGenerator.extremes

    @Test(arguments: BudgetField.all)
    func extremesAreRefusedOrAcceptedByTheRangeAlone(_ field: BudgetField) throws {
        for value in Self.extremes {
            let budget: JSONValue = .object([field.key: .number(value)])
            let accepted = field.accepts(value)
            #expect(accepted == (value.isFinite && value <= field.maximum && (field.isInteger ? value >= 1 && value == value.rounded() : value > 0)))
            do {
                _ = try Budget.parse(budget, defaults: .serverDefault)
                let limits = try RunLimits.serverDefault.overridden(by: budget)
                #expect(accepted, "\(field.key) = \(value) was accepted")
                for bytes in [limits.memoryBytes, limits.fileBytes, limits.processes, limits.workspaceBytes, limits.logBytes] {
                    #expect((bytes ?? 1) >= 1)
                }
            } catch let error as EnvError {
                #expect(!accepted, "\(field.key) = \(value) was refused")
                #expect(error.code == .badRequest)
                #expect(error.message.contains("budget.\(field.key)") && error.message.contains("\(Int(field.maximum))"))
            }
        }
    }

    @Test func theIssueFramesAreRefused() {
        for (key, value) in [("memory_mb", 1e300), ("processes", 9_007_199_254_740_992), ("time_limit_s", 1e19),
                             ("exec_timeout_s", 1e300), ("file_mb", 1e300), ("disk_mb", 1e300), ("output_mb", 1e300)] {
            let budget: JSONValue = .object([key: .number(value)])
            #expect(throws: EnvError.self) {
                _ = try Budget.parse(budget, defaults: .serverDefault)
                _ = try RunLimits.serverDefault.overridden(by: budget)
            }
        }
    }

    @Test func theLargestValuesStillOnlyLowerTheServerLimits() throws {
        let budget: JSONValue = .object(Dictionary(uniqueKeysWithValues: BudgetField.all.map { ($0.key, JSONValue.number($0.maximum)) }))
        let limits = try RunLimits.serverDefault.overridden(by: budget)
        #expect(limits.memoryBytes == RunLimits.serverDefault.memoryBytes)
        #expect(limits.workspaceBytes == RunLimits.serverDefault.workspaceBytes)
        #expect(limits.cpuSeconds == BudgetField.cpuSeconds.maximum)
        let parsed = try Budget.parse(budget, defaults: .serverDefault)
        #expect(parsed.maxSteps == 1_000_000 && parsed.timeLimitSeconds == 31_536_000 && parsed.execTimeoutSeconds == 604_800)
    }

    @Test func theSmallestValuesBecomeOneUnit() throws {
        let limits = try RunLimits.serverDefault.overridden(by: ["memory_mb": .number(.leastNonzeroMagnitude), "file_mb": 1e-300, "processes": 1])
        #expect(limits.memoryBytes == 1 && limits.fileBytes == 1 && limits.processes == 1)
    }

    /// Seeded property: whatever number arrives, parsing either refuses it with BAD_REQUEST or yields
    /// limits inside the field's range — and never traps.
    @Test func randomNumbersNeverTrap() {
        var generator = SeededGenerator(seed: 8)
        for _ in 0..<20_000 {
            let field = BudgetField.all.randomElement(using: &generator)!
            let value = generator.hostileNumber()
            let budget: JSONValue = .object([field.key: .number(value)])
            let parsed = Result { (try Budget.parse(budget, defaults: .serverDefault), try RunLimits.serverDefault.overridden(by: budget)) }
            switch parsed {
            case .success(let (budget, limits)):
                #expect(field.accepts(value))
                #expect(budget.maxSteps >= 1 && budget.maxSteps <= 1_000_000)
                #expect((limits.processes ?? 1) >= 1 && (limits.memoryBytes ?? 1) >= 1)
            case .failure(let error):
                #expect(!field.accepts(value))
                #expect((error as? EnvError)?.code == .badRequest)
            }
        }
    }
}
