"""Attacks on the sandbox itself: signals, the worker process, ptrace, submissions that point at
the answers, persistent kernels; plus the suite-wide checks (size, bystander latency, schemas)."""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

import pytest
from attack_support import (ATTACK_REPLIES, LIVE_PIDS, TRY_READ, Bystander, attack_params, attack_registry,  # noqa: F401
                            attack_server, bystander, ctx, open_session, secret, server_alive, task)
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from itest_support import REPO, answer_files, error_code, last_json_line  # noqa: F401

ATTACKS, attack = attack_registry()


@attack("signals-kill-every-visible-pid")
def _(ctx):
    s = ctx.session()
    obs = ctx.run(s, r'''
import os, signal
targets = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
targets += [SERVER_PID, SERVER_PID + 1, os.getppid()]
for pid in targets:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except OSError:
            pass
print("sent")
''', SERVER_PID=ctx.server.proc.pid)
    assert obs["result"]["execution"]["status"] in ("SUCCESS", "FAILED"), obs["result"]["execution"]
    ctx.next_run_ok(s)  # the worker the attack killed is restarted


@attack("signals-kill-9-minus-1")
def _(ctx):
    s = ctx.session()
    for code in ("import os, signal\nos.kill(-1, signal.SIGKILL)\nprint('survived')",
                 "import subprocess\nsubprocess.run(['kill', '-9', '-1'])\nprint('survived')"):
        obs = ctx.run(s, code)
        assert obs["result"]["execution"]["status"] in ("SUCCESS", "FAILED"), obs["result"]["execution"]
        ctx.next_run_ok(s)


@attack("hijack-the-spare-worker-child-via-proc-fd")
def _(ctx):
    s = ctx.session(budget={"memory_mb": 512, "exec_timeout_s": 20})
    res = ctx.probe(s, r'''
import json, os, time
open("/workspace/evil.py", "w").write(
    "import resource, time\n"
    "log = open('/workspace/evil.log', 'a', buffering=1)\n"
    "log.write('started\\n')\n"
    "try:\n"
    "    b = bytearray(1536 << 20)\n"
    "    log.write('allocated 1.5 GiB past memory_mb\\n')\n"
    "except MemoryError:\n"
    "    log.write('MemoryError\\n')\n")
command = json.dumps({"op": "run", "run": "evil", "code": "/workspace/evil.py", "stdout": "/workspace/evil.out",
                      "stderr": "/workspace/evil.err", "limits": {}}) + "\n"
time.sleep(0.3)  # the spare child is forked just after this run started
me, worker = os.getpid(), os.getppid()
opened, denied = [], []
for p in os.listdir("/proc"):
    if not p.isdigit() or int(p) in (1, me, worker):
        continue
    try:
        fds = sorted(int(f) for f in os.listdir(f"/proc/{p}/fd"))
    except OSError as e:
        denied.append(type(e).__name__)
        continue
    for fd in fds:
        if fd >= 3 and os.readlink(f"/proc/{p}/fd/{fd}").startswith("pipe:"):
            try:
                w = os.open(f"/proc/{p}/fd/{fd}", os.O_WRONLY | os.O_NONBLOCK)
                os.write(w, command.encode())
                os.close(w)
                opened.append(f"{p}/{fd}")
            except OSError as e:
                denied.append(type(e).__name__)
            break
print(json.dumps({"opened": opened, "denied": denied}))
''')
    time.sleep(3)
    log = ctx.workspace(s) / "evil.log"
    escaped = log.read_text() if log.exists() else ""
    assert res["opened"] == [] and escaped == "", (res, escaped)
    ctx.next_run_ok(s)


@attack("fork-server-and-its-sockets-out-of-reach")
def _(ctx):
    """The session's worker is a fork of the server's fork server (serve --worker-start fork-server):
    the run holds no socket, sees no process outside its namespace (neither the fork server nor the
    worker's parent), and cannot open the worker's descriptors, memory or environment; two sessions'
    workers run under different uids."""
    probe = r'''
import json, os
out = {"uid": os.getuid()}
out["sockets"] = []
for fd in os.listdir("/proc/self/fd"):
    try:
        if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
            out["sockets"].append(fd)
    except OSError:  # the listing's own descriptor, closed by now
        pass
for what in ("fd", "mem", "environ", "maps"):
    try:
        if what == "fd":
            os.listdir("/proc/1/fd")
        else:
            open(f"/proc/1/{what}", "rb").read(1)
        out[what] = "OPEN"
    except OSError as e:
        out[what] = type(e).__name__
out["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
out["worker"] = open("/proc/1/cmdline", "rb").read().decode(errors="replace")
print(json.dumps(out))
'''
    first, second = ctx.probe(ctx.session(), probe), ctx.probe(ctx.session(), probe)
    for res in (first, second):
        assert res["sockets"] == [], res
        assert all(res[k] != "OPEN" for k in ("fd", "mem", "environ", "maps")), res
        assert max(res["pids"]) < 100 and len(res["pids"]) <= 4, res
    assert first["uid"] != second["uid"], (first, second)


@attack("ptrace-other-sandbox-processes")
def _(ctx):
    """Every other process of the sandbox (the worker is PID 1 and its parent; its forked-ahead child):
    no ptrace, no /proc/<pid>/mem, no process_vm_readv, no pidfd_getfd — any of them would let a run
    drive a process that no run limit applies to."""
    s = ctx.session(budget={"exec_timeout_s": 20})
    res = ctx.probe(s, r'''
import ctypes, json, os, signal
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
libc.syscall.restype = ctypes.c_long
others = sorted({1, os.getppid()} | {int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()})
out = {}
for pid in others:
    if libc.ptrace(16, pid, None, None) != 0:          # PTRACE_ATTACH
        out[f"ptrace {pid}"] = os.strerror(ctypes.get_errno())
    else:                                              # undo it, so the sandbox goes on
        os.waitpid(pid, 0x40000000)                    # __WALL
        libc.ptrace(17, pid, None, None)               # PTRACE_DETACH
        os.kill(pid, signal.SIGCONT)
        out[f"ptrace {pid}"] = "ALLOWED"
    try:
        open(f"/proc/{pid}/mem", "r+b").close()
        out[f"mem {pid}"] = "ALLOWED"
    except OSError as e:
        out[f"mem {pid}"] = type(e).__name__
    buffer = ctypes.create_string_buffer(8)
    local = (ctypes.c_void_p * 2)(ctypes.addressof(buffer), 8)
    remote = (ctypes.c_void_p * 2)(0x400000, 8)
    if libc.syscall(310, pid, local, 1, remote, 1, 0) < 0 and ctypes.get_errno() in (1, 13):  # process_vm_readv
        out[f"vm_readv {pid}"] = os.strerror(ctypes.get_errno())
    else:
        out[f"vm_readv {pid}"] = "ALLOWED"
    pidfd = libc.syscall(434, pid, 0)                  # pidfd_open
    if pidfd >= 0:
        out[f"pidfd_getfd {pid}"] = "ALLOWED" if libc.syscall(438, pidfd, 0, 0) >= 0 else os.strerror(ctypes.get_errno())
print(json.dumps(out))
''')
    assert "ALLOWED" not in res.values() and any(k.startswith("ptrace 1") for k in res), res
    ctx.next_run_ok(s)


@attack("namespaces-mount-capabilities")
def _(ctx):
    res = ctx.probe(ctx.session(), r'''
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
out = {}
def attempt(name, fn):
    try:
        fn()
        out[name] = "ALLOWED"
    except OSError as e:
        out[name] = type(e).__name__
def check(r):
    if r != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
attempt("unshare-user", lambda: check(libc.unshare(0x10000000)))   # CLONE_NEWUSER
attempt("unshare-mount", lambda: check(libc.unshare(0x00020000)))  # CLONE_NEWNS
attempt("unshare-net", lambda: check(libc.unshare(0x40000000)))    # CLONE_NEWNET
attempt("unshare-cmd", lambda: check(os.system("unshare -U -r true 2>/dev/null") and -1))
attempt("mount-tmpfs", lambda: check(libc.mount(b"none", b"/data", b"tmpfs", 0, None)))
attempt("remount-data-rw", lambda: check(libc.mount(b"none", b"/data", None, 32 | 4096, None)))  # MS_REMOUNT|MS_BIND
attempt("umount-data", lambda: check(libc.umount2(b"/data", 2)))
attempt("setuid-0", lambda: os.setuid(0))
attempt("chroot", lambda: os.chroot("/workspace"))
attempt("mknod-disk", lambda: os.mknod("/workspace/disk", 0o600 | 0o060000, os.makedev(8, 0)))
attempt("sysrq", lambda: open("/proc/sysrq-trigger", "w").write("s"))
attempt("kmsg", lambda: open("/dev/kmsg").read(1))
attempt("bwrap-nested", lambda: check(os.system("bwrap --ro-bind / / true 2>/dev/null") and -1))
caps = {l.split(":")[0]: l.split()[1] for l in open("/proc/self/status") if l.startswith("Cap")}
print(json.dumps({"attempts": out, "caps": caps}))
''')
    assert "ALLOWED" not in res["attempts"].values(), res
    assert set(res["caps"].values()) == {"0000000000000000"}, res


@attack("kernel-attack-surface-syscalls")
def _(ctx):
    """System calls that widen the kernel's attack surface (or leave the sandbox) fail with EPERM:
    the seccomp filter, not only missing capabilities, stops them."""
    res = ctx.probe(ctx.session(), r'''
import ctypes, json, os, platform
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
calls = {"bpf": 321, "userfaultfd": 323, "keyctl": 250, "add_key": 248, "perf_event_open": 298,
         "io_uring_setup": 425, "open_by_handle_at": 304, "unshare": 272, "setns": 308, "ptrace": 101,
         "process_vm_readv": 310, "kexec_load": 246, "mount": 165, "pivot_root": 155}
out = {"arch": platform.machine()}
for name, number in calls.items():
    result = libc.syscall(number, 0, 0, 0, 0, 0, 0)
    out[name] = "ALLOWED" if result >= 0 else os.strerror(ctypes.get_errno())
print(json.dumps(out))
''')
    if res.pop("arch") != "x86_64":
        pytest.skip("system-call numbers here are x86_64's")
    assert set(res.values()) == {os.strerror(1)}, res  # EPERM, from the filter, for every one


@attack("read-etc-shadow-and-root")
def _(ctx):
    res = ctx.probe(ctx.session(), TRY_READ + r'''
out = {p: errname(p) for p in ("/etc/shadow", "/etc/passwd", "/etc/sudoers", "/proc/1/root/etc/shadow",
                               "/root/.bash_history", "/root/.ssh/id_rsa", "/var/lib/dpkg/status")}
for d in ("/root", "/home", "/etc/ssh", "/var"):
    try:
        out[d] = sorted(os.listdir(d))
    except OSError as e:
        out[d] = type(e).__name__
print(json.dumps(out))
''')
    assert set(res.values()) <= {"FileNotFoundError", "PermissionError"}, res


@attack("huge-submission-300mb")
def _(ctx):
    s = ctx.session(budget={"exec_timeout_s": 60})
    # a valid head, then 300 MB (sparse, so the workspace disk watch is not what stops it)
    own = ctx.sample_submission()
    obs = ctx.run(s, r'''
with open("submission.csv", "w") as f:
    f.write(HEAD)
    f.truncate(300 << 20)
print("written")
''', HEAD=own)
    ex, sub = obs["result"]["execution"], obs["result"]["submission"]
    assert ex["status"] == "SUCCESS", ex
    assert (ctx.workspace(s) / "submission.csv").stat().st_size == 300 << 20
    assert sub["status"] == "FAILED" and sub["error_type"] == "InvalidSubmissionError", sub
    assert "limit" in (sub["error"] or "") and sub["raw_score"] is None, sub
    assert obs["reward"] == 0 and obs["best_raw_score"] is None
    reply = ctx.client.call("evaluate", session=s.id, path="submission.csv")
    assert reply["ok"] and reply["result"]["result"]["submission"]["status"] == "FAILED", reply
    ctx.next_run_ok(s, "import os\nos.remove('submission.csv')")
    assert s.request_info("name")["action_status"] == "SUCCESS"
    assert s.evaluate(submission=own)["result"]["submission"]["status"] == "SUCCESS"  # the session goes on


@attack("submission-symlink-to-answers")
def _(ctx):
    s = ctx.session()
    own = [p for p in ctx.answers if f"/{ctx.task}/" in p and p.endswith(".csv")] or ctx.answers
    obs = ctx.run(s, "import os\nos.symlink(TARGET, 'submission.csv')\nprint('linked')", TARGET=own[0])
    sub = obs["result"]["submission"]
    assert sub["status"] == "FAILED" and sub["error_type"] == "InvalidSubmissionError", sub
    assert sub["raw_score"] is None and obs["reward"] == 0
    reply = ctx.client.call("evaluate", session=s.id, path="submission.csv")
    if reply["ok"]:
        assert reply["result"]["result"]["submission"]["raw_score"] is None, reply
    else:
        assert error_code(reply) == "BAD_REQUEST", reply
    assert s.close()["final"]["private_score"] is None


@attack("submission-hardlink-to-answers")
def _(ctx):
    s = ctx.session()
    own = [p for p in ctx.answers if f"/{ctx.task}/" in p and p.endswith(".csv")] or ctx.answers
    obs = ctx.run(s, r'''
import json, os
out = {}
for name, src in (("answers", TARGET), ("data", "/data/sample_submission.csv"), ("code", "/code")):
    try:
        os.link(src, "submission.csv")
        out[name] = "LINKED"
    except OSError as e:
        out[name] = type(e).__name__
print(json.dumps(out))
''', TARGET=own[0])
    ex, sub = obs["result"]["execution"], obs["result"]["submission"]
    res = last_json_line(ex["stdout"])
    assert res["answers"] in ("FileNotFoundError", "PermissionError"), res
    assert res["code"] != "LINKED", res
    if res["data"] == "LINKED":  # a public file: harmless, and it is graded as what it is
        assert sub["raw_score"] is None or sub["status"] == "SUCCESS", sub
    else:
        assert sub["status"] == "NOT_FOUND", sub
    assert not (ctx.workspace(s) / "submission.csv").exists() or res["data"] == "LINKED"


@attack("persistent-kernel-state-and-timeout")
def _(ctx):
    s = ctx.session(budget={"exec_timeout_s": 3}, kernel="persistent")
    assert ctx.run(s, "secret_state = 41\nimport os\nprint(os.getpid())")["result"]["execution"]["status"] == "SUCCESS"
    assert ctx.next_run_ok(s, "print(secret_state + 1)")["stdout"].strip() == "42"  # state persists
    ex = ctx.run(s, "import threading, time\nthreading.Thread(target=time.sleep, args=(600,)).start()\n"
                    "while True:\n    pass\n")["result"]["execution"]
    assert ex["status"] == "TIMEOUT" and ex["duration_s"] < 10, ex
    ex = ctx.next_run_ok(s, LIVE_PIDS + "print(json.dumps({'state': 'secret_state' in globals(), 'left': others()}))")
    assert last_json_line(ex["stdout"]) == {"state": False, "left": []}  # a clean, fresh kernel


@attack("persistent-kernel-background-thread")
def _(ctx):
    """A thread a persistent kernel's run leaves behind is frozen with the kernel between runs, and runs
    again only inside the next run, under its watch (here: the disk limit ends it)."""
    s = ctx.session(budget={"exec_timeout_s": 10, "disk_mb": 20}, kernel="persistent")
    ex = ctx.run(s, r'''
import threading, time
def grow():
    with open("/workspace/bg.bin", "ab") as f:
        for _ in range(60):               # bounded: at most 60 MB over ~6 s
            f.write(b"x" * (1 << 20))
            f.flush()
            time.sleep(0.1)
threading.Thread(target=grow, daemon=True).start()
print("started")
''')["result"]["execution"]
    assert ex["status"] == "SUCCESS"
    bg = ctx.workspace(s) / "bg.bin"
    size_then = bg.stat().st_size if bg.exists() else 0
    time.sleep(2)
    size_now = bg.stat().st_size if bg.exists() else 0
    assert size_now == size_then and size_now <= 20 << 20, (size_then, size_now)
    nxt = ctx.run(s, "import time\ntime.sleep(8)\nprint('slept')")["result"]["execution"]
    assert nxt["status"] == "DISK_LIMIT", nxt


@pytest.mark.parametrize("name", attack_params(ATTACKS))
def test_attack(name, ctx):
    ATTACKS[name][0](ctx)


def test_suite_size():
    """At least 25 attacks across the three attack modules."""
    here = Path(__file__).parent
    count = sum(p.read_text().count("\n@attack(") for p in here.glob("test_attacks_*.py"))
    assert count >= 25, count


def test_bystander_stayed_fast(bystander):
    """Over the whole module, the bystander's request_info round trips stayed fast."""
    times = sorted(bystander.info_times)
    assert times, "the bystander was never checked"
    median = times[len(times) // 2]
    print(f"\nbystander request_info during the attacks: {len(times)} round trips, median "
          f"{median * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms")
    assert median < 0.25, f"median request_info {median * 1000:.1f} ms during the attacks"


def test_typed_limit_statuses_are_in_the_protocol(ctx):
    """The attackers' replies (typed limit statuses included) validate against the protocol's schema."""
    s = ctx.session(budget={"memory_mb": 512, "output_mb": 1, "exec_timeout_s": 30})
    ctx.run(s, "x = bytearray(4 << 30)")
    ctx.run(s, "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n")
    schemas = REPO / "protocol" / "schemas"
    docs = {p.name: json.loads(p.read_text()) for p in schemas.glob("*.json")}
    registry = Registry().with_resources((d["$id"], Resource.from_contents(d)) for d in docs.values())
    validator = Draft202012Validator(docs["execute_code.result.json"], registry=registry)
    errors = sorted({f"{r['result']['result']['execution']['status']}: {e.message[:200]}"
                     for r in ATTACK_REPLIES if r.get("ok") for e in validator.iter_errors(r["result"])})
    assert not errors, "\n".join(errors)


def test_disk_limit_counts_real_usage(ctx):
    s = ctx.session(budget={"disk_mb": 50})
    ex = ctx.run(s, "import time\nwith open('twelve.bin', 'wb') as f:\n    f.write(b'x' * (12 << 20))\n"
                    "time.sleep(0.6)\nprint('ok')")["result"]["execution"]
    assert ex["status"] == "SUCCESS", ex  # 12 MB in a 50 MB workspace


def test_sandbox_runs_under_its_own_host_uid(ctx):
    """When the server is root, agent code must not own files as root on the host."""
    if os.geteuid() != 0:
        pytest.skip("the server is not root: the sandbox runs as the server's own uid")
    s = ctx.session()
    ctx.run(s, "open('owner.txt', 'w').write('x')")
    assert (ctx.workspace(s) / "owner.txt").stat().st_uid != 0


def test_private_runs_folder_still_isolates_uids(server_factory, task):
    """A runs folder under a 0700 parent (pytest's tmp folder): a root server still drops to the
    session's own uid (bubblewrap mounts as root, setpriv drops inside), so NPROC holds."""
    if os.geteuid() != 0:
        pytest.skip("only a root server drops to per-session uids")
    srv = server_factory()  # runs folder under pytest's private tmp folder
    with srv.client(timeout_s=60) as c:
        s = open_session(c, task, budget={"processes": 32, "exec_timeout_s": 20})
        ex = s.execute_code(
            "import json, os, time\nopen('owner.txt', 'w').write('x')\nn, err = 0, None\nt0 = time.time()\n"
            "while time.time() - t0 < 3 and n < 300:\n    try:\n        pid = os.fork()\n"
            "    except OSError as e:\n        err = type(e).__name__\n        break\n"
            "    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n    n += 1\n"
            "print(json.dumps({'forked': n, 'error': err}))\n")["result"]["execution"]
        res = last_json_line(ex["stdout"])
        owner = (srv.runs / s.id / "workspace" / "owner.txt").stat().st_uid
        s.close()
    assert owner != 0 and res["error"] == "BlockingIOError" and res["forked"] < 32, (owner, res)
    srv.stop()


# ------------------------------------------------------------------------------------------------
# an attack on the worker process that wedges runs: a server of its own, one run slot
# ------------------------------------------------------------------------------------------------

def test_sigstop_of_the_worker_does_not_wedge_the_server(server_factory, task):
    srv = server_factory(extra_args=["--max-concurrent-runs", "1"])
    bystander = None
    try:
        bystander = Bystander(srv, task)
        with srv.client(timeout_s=60) as c:
            s = open_session(c, task, budget={"exec_timeout_s": 3})
            rid = c.send("execute_code", session=s.id, params={
                "code": "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\nos.kill(1, signal.SIGSTOP)\n"})
            try:
                reply = c.wait(rid, timeout_s=15)
            except TimeoutError:
                reply = None
            assert reply is not None, "the run that stopped its worker never got a reply"
            # The worker is PID 1 of the sandbox's PID namespace: the kernel drops SIGSTOP sent to it from inside.
            assert reply["ok"] and reply["result"]["result"]["execution"]["status"] == "SUCCESS", reply
            bystander.check()  # the one run slot is free again
            assert s.execute_code("print(3)")["result"]["execution"]["status"] == "SUCCESS"
        server_alive(srv)
    finally:
        if bystander is not None:
            bystander.client.close()
        srv.stop()
