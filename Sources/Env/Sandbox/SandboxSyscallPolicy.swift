import Foundation
import Seccomp

/// The system calls agent code may not make, as a seccomp filter. Denied calls fail with EPERM (clone3
/// with ENOSYS, so that the C library falls back to clone, whose flags the filter can see).
///
/// - Other processes' memory: ptrace, process_vm_readv/writev, pidfd_getfd, kcmp.
/// - New namespaces and mounts (the way out of a sandbox): unshare, setns, clone with a CLONE_NEW* flag,
///   mount and the new mount API, pivot_root, chroot.
/// - Kernel attack surface no ML code needs: bpf, perf_event_open, userfaultfd, io_uring, the key
///   rings, modules, kexec, reboot, swap, acct, syslog, quotactl, file handles, TIOCSTI/TIOCLINUX.
public enum SandboxSyscallPolicy {
    static let namespaceFlags: [UInt64] = [
        0x0000_0080,  // CLONE_NEWTIME
        0x0002_0000,  // CLONE_NEWNS
        0x0200_0000,  // CLONE_NEWCGROUP
        0x0400_0000,  // CLONE_NEWUTS
        0x0800_0000,  // CLONE_NEWIPC
        0x1000_0000,  // CLONE_NEWUSER
        0x2000_0000,  // CLONE_NEWPID
        0x4000_0000,  // CLONE_NEWNET
    ]

    static let denied = [
        "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
        "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen",
        "fsconfig", "fsmount", "fspick", "mount_setattr",
        "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
        "keyctl", "add_key", "request_key", "init_module", "finit_module", "delete_module", "kexec_load",
        "kexec_file_load", "reboot", "swapon", "swapoff", "acct", "syslog", "quotactl", "quotactl_fd",
        "lookup_dcookie", "open_by_handle_at", "name_to_handle_at", "uselib", "vhangup", "iopl", "ioperm",
    ]

    public static var rules: [SeccompFilter.Rule] {
        denied.map { SeccompFilter.Rule($0) }
            + namespaceFlags.map { SeccompFilter.Rule("clone", when: .argument(0, hasFlag: $0)) }
            + [SeccompFilter.Rule("clone3", errno: ENOSYS)]
            + [0x5412, 0x541C].map {  // TIOCSTI, TIOCLINUX: typing into a terminal
                SeccompFilter.Rule("ioctl", when: SeccompFilter.Condition(argument: 1, mask: 0xffff_ffff, equals: $0))
            }
    }

    /// The compiled filter.
    public static func compile() throws -> [UInt8] {
        do {
            return try SeccompFilter(denying: rules).bpf
        } catch {
            throw EnvError(.internal, "cannot build the sandbox's seccomp filter: \(error)")
        }
    }
}
