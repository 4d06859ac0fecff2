"""Confines a forked session worker as bubblewrap confines a launched one.

The fork server (forkserver.py) forks its session workers instead of launching them, so they share
its imported libraries page for page; a fork cannot pass through bubblewrap (bubblewrap execs), so
the fork does bubblewrap's work itself, with the same layout: the server sends the same ordered root
steps (`Sandbox.rootSteps` in Sources/Env/Sandbox) it turns into bubblewrap's arguments for a launched
worker. What a confined worker gets:

- namespaces: mount, PID (the worker is PID 1), network (loopback only, up), IPC, UTS and cgroup;
- a minimal root on a tmpfs: the read-only binds, /proc, a /dev of null, zero, full, random, urandom
  and tty, size-bounded tmpfs /tmp and /dev/shm, the workspace and logs writable, then the root and
  /dev read-only; the host's root is detached, so no path leads back to it;
- then: a session of its own (setsid), every capability gone from the bounding, inheritable and
  ambient sets, no supplementary groups, the session's own uid and gid, no_new_privs, and the
  server's seccomp filter last.

Runs only as root (the server's root layout): a server that is not root keeps launching bubblewrap.
"""

import ctypes
import fcntl
import os
import platform
import socket
import struct

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG, PR_SET_SECCOMP, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 1, 22, 24, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
SECCOMP_MODE_FILTER = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(platform.machine())

# bubblewrap's --dev: these host devices, and these links.
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
DEVICE_LINKS = (("/proc/self/fd", "fd"), ("/proc/self/fd/0", "stdin"), ("/proc/self/fd/1", "stdout"),
                ("/proc/self/fd/2", "stderr"), ("/proc/kcore", "core"))
# bubblewrap's --proc as root: these stay read-only.
PROC_COVERED = ("sys", "sysrq-trigger", "irq", "bus")

BASE = "/tmp"          # where the new root is assembled, on a tmpfs of this mount namespace only
NEW_ROOT = "/newroot"  # after the first pivot_root
OLD_ROOT = "/oldroot"  # the host's root, until it is detached

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
libc.unshare.argtypes = [ctypes.c_int]
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
libc.syscall.restype = ctypes.c_long


class ConfinementError(Exception):
    """A step of the confinement failed: the worker must not start."""


def _check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        raise ConfinementError(f"{what}: {os.strerror(error)} (errno {error})")


def _bytes(text):
    return None if text is None else os.fsencode(text)


def mount(source, target, fstype=None, flags=0, data=None):
    _check(libc.mount(_bytes(source), _bytes(target), _bytes(fstype), flags, _bytes(data)), f"mount {target}")


def prctl(option, a=0, b=0, c=0, d=0):
    _check(libc.prctl(option, a, b, c, d), f"prctl({option})")


def pivot_root(new_root, put_old):
    if SYS_PIVOT_ROOT is None:
        raise ConfinementError(f"pivot_root: unknown system call number on {platform.machine()}")
    _check(libc.syscall(SYS_PIVOT_ROOT, _bytes(new_root), _bytes(put_old)), f"pivot_root {new_root}")


def die_with_parent(signal_number):
    prctl(PR_SET_PDEATHSIG, signal_number)


def enter_namespaces():
    """Called by the worker's parent: its mount namespace is new, and its next child is PID 1 of a new
    PID namespace with new network, IPC, UTS and (where the kernel has them) cgroup namespaces."""
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    if libc.unshare(flags | CLONE_NEWCGROUP) != 0:
        _check(libc.unshare(flags), "unshare")


def loopback_up():
    """Brings up `lo` in the new network namespace (bubblewrap does): code may talk to itself."""
    ifreq = struct.pack("16sH22x", b"lo", 0x1 | 0x8 | 0x40)  # IFF_UP | IFF_LOOPBACK | IFF_RUNNING
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        fcntl.ioctl(probe, 0x8914, ifreq)  # SIOCSIFFLAGS


def _inside(path):
    return NEW_ROOT + ("" if path == "/" else path)


def _make_directory(path, mode=0o755):
    os.makedirs(path, mode=mode, exist_ok=True)


def _bind(source, destination, writable):
    """A non-recursive bind (no host submount comes along), then its flags: nosuid, nodev, read-only
    unless writable."""
    if os.path.isdir(source):
        _make_directory(destination)
    else:
        _make_directory(os.path.dirname(destination))
        if not os.path.lexists(destination):
            os.close(os.open(destination, os.O_CREAT | os.O_WRONLY, 0o644))
    mount(source, destination, None, MS_BIND)
    mount(None, destination, None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (0 if writable else MS_RDONLY))


def _proc(destination):
    _make_directory(destination)
    mount("proc", destination, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name in PROC_COVERED:
        covered = os.path.join(destination, name)
        if os.path.exists(covered):
            mount(covered, covered, None, MS_BIND | MS_REC)
            mount(None, covered, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _dev(destination):
    _make_directory(destination)
    mount("tmpfs", destination, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    for device in DEVICES:
        node = os.path.join(destination, device)
        os.close(os.open(node, os.O_CREAT | os.O_WRONLY, 0o666))
        mount(OLD_ROOT + "/dev/" + device, node, None, MS_BIND)
        mount(None, node, None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NOEXEC)
    for target, name in DEVICE_LINKS:
        os.symlink(target, os.path.join(destination, name))
    _make_directory(os.path.join(destination, "shm"))


def _apply(step, sources):
    kind = step["op"]
    destination = _inside(step.get("path", "/"))
    if kind == "bind":
        source = sources.get(step["source"])
        if source is None:  # an optional bind whose source is missing
            return
        _bind(OLD_ROOT + source, destination, step.get("writable", False))
    elif kind == "dir":  # as bubblewrap's --perms P --dir: the mode is given to a folder it creates only
        if not os.path.isdir(destination):  # (say /tmp, a tmpfs of mode 1777 already, stays so)
            _make_directory(destination)
            os.chmod(destination, int(step.get("perms", "0755"), 8))
    elif kind == "symlink":
        os.symlink(step["target"], destination)
    elif kind == "tmpfs":
        _make_directory(destination)
        mount("tmpfs", destination, "tmpfs", MS_NOSUID | MS_NODEV, f"mode={step.get('perms', '0755')},size={int(step['bytes'])}")
    elif kind == "proc":
        _proc(destination)
    elif kind == "dev":
        _dev(destination)
    elif kind == "remount_ro":
        mount(None, destination, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    else:
        raise ConfinementError(f"unknown root step {kind!r}")


def build_root(steps, working_directory):
    """Assembles the new root from `steps` and makes it the root; the host's root is gone after."""
    sources = {}
    for step in steps:  # resolved while the host's root is still "/"
        if step["op"] == "bind":
            real = os.path.realpath(step["source"])
            if os.path.exists(real):
                sources[step["source"]] = real
            elif not step.get("optional"):
                raise ConfinementError(f"bind source {step['source']} does not exist")
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing below propagates to the host
    mount("tmpfs", BASE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    for folder in (BASE + NEW_ROOT, BASE + OLD_ROOT):
        os.mkdir(folder, 0o755)
    mount(BASE + NEW_ROOT, BASE + NEW_ROOT, None, MS_BIND | MS_REC)
    pivot_root(BASE, BASE + OLD_ROOT)
    os.chdir("/")
    for step in steps:
        _apply(step, sources)
    _check(libc.umount2(_bytes(OLD_ROOT), MNT_DETACH), "umount the host's root")
    os.chdir(NEW_ROOT)
    pivot_root(".", ".")  # the assembly tmpfs now lies on top of the new root: detach it
    _check(libc.umount2(b".", MNT_DETACH), "umount the assembly tmpfs")
    os.chdir("/")
    os.chdir(working_directory)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def drop_privileges(uid, last_capability):
    """Every capability out of the bounding set, then no groups, the session's uid and gid (which
    clears the permitted and effective sets), no inheritable or ambient capability, no_new_privs."""
    for capability in range(last_capability + 1):
        prctl(PR_CAPBSET_DROP, capability)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    _check(libc.capset(ctypes.byref(header), data), "capset")
    prctl(PR_SET_NO_NEW_PRIVS, 1)


def install_seccomp(program):
    """The server's compiled filter (struct sock_filter[]), as bubblewrap's --seccomp installs it."""
    if not program:
        return
    if len(program) % 8:
        raise ConfinementError("the seccomp filter is not a whole number of instructions")
    buffer = ctypes.create_string_buffer(bytes(program), len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog))


def last_capability():
    with open("/proc/sys/kernel/cap_last_cap") as file:
        return int(file.read())
