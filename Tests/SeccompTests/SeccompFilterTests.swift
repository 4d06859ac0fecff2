import Glibc
import Testing

@testable import Seccomp

@Suite("SeccompFilter")
struct SeccompFilterTests {
    @Test func compilesToWholeBPFInstructions() throws {
        let filter = try SeccompFilter(denying: [SeccompFilter.Rule("ptrace"), SeccompFilter.Rule("bpf")])
        #expect(!filter.bpf.isEmpty)
        #expect(filter.bpf.count % 8 == 0)  // struct sock_filter is 8 bytes
        #expect(filter.deniedSyscalls == ["ptrace", "bpf"])
    }

    @Test func callsThisArchitectureLacksAreSkipped() throws {
        let filter = try SeccompFilter(denying: [SeccompFilter.Rule("ptrace"), SeccompFilter.Rule("no_such_call")])
        #expect(filter.deniedSyscalls == ["ptrace"])
    }

    @Test func moreRulesMakeALongerProgram() throws {
        let plain = try SeccompFilter(denying: [SeccompFilter.Rule("ptrace")])
        let conditional = try SeccompFilter(denying: [
            SeccompFilter.Rule("ptrace"),
            SeccompFilter.Rule("clone", when: .argument(0, hasFlag: 0x1000_0000)),
            SeccompFilter.Rule("clone3", errno: ENOSYS),
        ])
        #expect(conditional.bpf.count > plain.bpf.count)
        #expect(conditional.deniedSyscalls == ["ptrace", "clone", "clone3"])
    }

    @Test func anEmptyRuleListStillCompiles() throws {
        let filter = try SeccompFilter(denying: [])
        #expect(filter.bpf.count % 8 == 0 && !filter.bpf.isEmpty)
        #expect(filter.deniedSyscalls.isEmpty)
    }

    @Test func conditionMasksAreKept() {
        let condition = SeccompFilter.Condition.argument(1, hasFlag: 0x80)
        #expect(condition.index == 1 && condition.mask == 0x80 && condition.value == 0x80)
    }
}
