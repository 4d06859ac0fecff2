import CSeccomp
import Glibc

/// A seccomp-BPF program compiled by libseccomp: every system call is allowed except those its rules
/// deny, which fail with an errno instead of running. Calls made through a foreign ABI (32-bit, x32)
/// kill the process. `bpf` is the compiled program, in the form bubblewrap's `--seccomp FD` reads.
public struct SeccompFilter: Sendable {
    /// One denied system call, optionally only when one of its arguments matches.
    public struct Rule: Sendable, Hashable {
        public let syscall: String
        public let errno: Int32
        /// When set, the rule applies only when `(argument[index] & mask) == value`.
        public let condition: Condition?

        public init(_ syscall: String, errno: Int32 = EPERM, when condition: Condition? = nil) {
            self.syscall = syscall
            self.errno = errno
            self.condition = condition
        }
    }

    /// A test on one system-call argument: `(argument[index] & mask) == value`.
    public struct Condition: Sendable, Hashable {
        public let index: UInt32
        public let mask: UInt64
        public let value: UInt64

        public init(argument index: UInt32, mask: UInt64, equals value: UInt64) {
            self.index = index
            self.mask = mask
            self.value = value
        }

        /// The argument has all the bits of `flag` set.
        public static func argument(_ index: UInt32, hasFlag flag: UInt64) -> Condition {
            Condition(argument: index, mask: flag, equals: flag)
        }
    }

    /// The compiled BPF program.
    public let bpf: [UInt8]
    /// The system calls the rules named that this architecture has (the others were skipped).
    public let deniedSyscalls: Set<String>

    /// Compiles `rules`; system calls this architecture does not have are skipped.
    public init(denying rules: [Rule]) throws(SeccompError) {
        guard let context = seccomp_init(SCMP_ACT_ALLOW) else { throw SeccompError("seccomp_init failed") }
        defer { seccomp_release(context) }
        var denied = Set<String>()
        for rule in rules {
            let number = seccomp_syscall_resolve_name(rule.syscall)
            guard number != __NR_SCMP_ERROR else { continue }
            let action = 0x0005_0000 | (UInt32(rule.errno) & 0xffff)  // SCMP_ACT_ERRNO(errno)
            var comparisons = rule.condition.map {
                [scmp_arg_cmp(arg: $0.index, op: SCMP_CMP_MASKED_EQ, datum_a: $0.mask, datum_b: $0.value)]
            } ?? []
            let result = seccomp_rule_add_array(context, action, number, UInt32(comparisons.count), &comparisons)
            guard result == 0 else { throw SeccompError("cannot add a rule for \(rule.syscall): \(Self.describe(result))") }
            denied.insert(rule.syscall)
        }
        bpf = try Self.export(context)
        deniedSyscalls = denied
    }

    private static func export(_ context: scmp_filter_ctx) throws(SeccompError) -> [UInt8] {
        guard let file = tmpfile() else { throw SeccompError("cannot create a temporary file for the filter") }
        defer { fclose(file) }
        let descriptor = fileno(file)
        let result = seccomp_export_bpf(context, descriptor)
        guard result == 0 else { throw SeccompError("seccomp_export_bpf failed: \(describe(result))") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var offset: off_t = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, offset) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw SeccompError("cannot read the exported filter: errno \(errno)") }
            if count == 0 { break }
            bytes += chunk[0..<count]
            offset += off_t(count)
        }
        guard !bytes.isEmpty, bytes.count % 8 == 0 else {
            throw SeccompError("the exported filter has \(bytes.count) bytes, not whole BPF instructions")
        }
        return bytes
    }

    private static func describe(_ result: Int32) -> String { String(cString: strerror(-result)) }
}

/// Why a seccomp filter could not be built.
public struct SeccompError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
