"""Attacks on data: the answers, the server's environment and port, other sessions, files outside
the workspace. Each must fail while a bystander session keeps working (attack_support.py)."""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

import pytest
from attack_support import (ATTACK_REPLIES, TRY_READ, attack_params, attack_registry, attack_server, bystander,  # noqa: F401
                            ctx, secret, task)
from itest_support import REPO, TASK_DIRS, answer_files, error_code, last_json_line  # noqa: F401

ATTACKS, attack = attack_registry()


@attack("answers-by-absolute-host-path")
def _(ctx):
    res = ctx.probe(ctx.session(), TRY_READ + r'''
out = {p: errname(p) for p in PATHS}
out["tasks_dir_exists"] = os.path.exists(TASKS)
out["glob"] = glob.glob(TASKS + "/*/data/private/*")
print(json.dumps(out))
''', PATHS=ctx.answers, TASKS=str(Path(ctx.answers[0]).parents[3]))
    assert res.pop("tasks_dir_exists") is False and res.pop("glob") == []
    assert set(res.values()) <= {"FileNotFoundError", "PermissionError"}, res


@attack("answers-by-relative-path")
def _(ctx):
    res = ctx.probe(ctx.session(), TRY_READ + r'''
hits, tried = [], 0
for p in PATHS:
    parts = p.lstrip("/").split("/")
    for start in ("/workspace", "/data", "/code", "/tmp"):
        for i in range(len(parts)):
            for k in range(0, 10):
                cand = os.path.join(start, "../" * k + "/".join(parts[i:]))
                tried += 1
                if readable(cand):
                    hits.append(cand)
for k in range(1, 12):  # from the current directory too
    for tail in ("data/private/test_answer.csv", "private/test_answer.csv", "test_answer.csv"):
        tried += 1
        if readable("../" * k + tail):
            hits.append("../" * k + tail)
print(json.dumps({"hits": hits[:20], "tried": tried}))
''', PATHS=ctx.answers)
    assert res["tried"] > 100 and res["hits"] == [], res


@attack("answers-by-symlink-in-workspace")
def _(ctx):
    s = ctx.session()
    target = ctx.answers[0]
    res = ctx.probe(s, r'''
import json, os
os.symlink(TARGET, "answers.csv")
os.symlink(os.path.dirname(TARGET), "private")
out = {}
for p in ("answers.csv", "private/" + os.path.basename(TARGET)):
    try:
        out[p] = open(p).read(16)
    except OSError as e:
        out[p] = type(e).__name__
print(json.dumps(out))
''', TARGET=target)
    assert set(res.values()) == {"FileNotFoundError"}, res  # a dangling link inside the sandbox
    # ... and the server does not follow it on the host side either
    for path in ("answers.csv", "private/" + os.path.basename(target)):
        reply = ctx.client.call("evaluate", session=s.id, path=path)
        if reply["ok"]:
            sub = reply["result"]["result"]["submission"]
            assert sub["status"] in ("FAILED", "NOT_FOUND") and sub["raw_score"] is None, sub
        else:
            assert error_code(reply) == "BAD_REQUEST", reply


@attack("answers-via-proc-pid-root-and-cwd")
def _(ctx):
    res = ctx.probe(ctx.session(), TRY_READ + r'''
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
hits, roots, cwds = [], {}, {}
for pid in pids:
    for p in PATHS:
        for cand in (f"/proc/{pid}/root{p}", f"/proc/{pid}/cwd/" + "../" * 30 + p.lstrip("/")):
            if readable(cand):
                hits.append(cand)
    try:
        roots[pid] = sorted(os.listdir(f"/proc/{pid}/root"))
    except OSError as e:
        roots[pid] = type(e).__name__
    try:
        cwds[pid] = os.readlink(f"/proc/{pid}/cwd")
    except OSError as e:
        cwds[pid] = type(e).__name__
print(json.dumps({"pids": pids, "hits": hits, "roots": roots, "cwds": cwds}))
''', PATHS=ctx.answers)
    assert res["hits"] == [], res["hits"]
    assert max(res["pids"]) < 1000, "the sandbox sees processes outside its PID namespace"
    host_root_names = {"home", "root", "var", "srv", "boot"}  # /work may be the venv's own bound path
    for pid, names in res["roots"].items():
        assert not isinstance(names, list) or not host_root_names & set(names), (pid, names)
    for pid, cwd in res["cwds"].items():
        assert cwd in ("/", "/workspace") or cwd.endswith("Error"), (pid, cwd)


@attack("server-secret-in-environ-and-proc-environ")
def _(ctx):
    res = ctx.probe(ctx.session(), r'''
import glob, json, os
secret = PART_A + PART_B
hits = [k for k, v in os.environ.items() if secret in v or k == "MLEDOJO_ATTACK_SECRET"]
for p in (["/proc/1/environ", "/proc/self/environ"] + glob.glob("/proc/*/environ")
          + glob.glob("/proc/*/task/*/environ") + glob.glob("/proc/*/cmdline")):
    try:
        if secret.encode() in open(p, "rb").read():
            hits.append(p)
    except OSError:
        pass
try:  # PID 1 is the worker: non-dumpable, so its environ is not even readable
    proc1 = open("/proc/1/environ", "rb").read().decode(errors="replace")
except PermissionError:
    proc1 = "PermissionError"
print(json.dumps({"hits": hits, "proc1": proc1}))
''', PART_A=ctx.secret[:10], PART_B=ctx.secret[10:])  # the code itself must not contain the secret
    assert res["hits"] == [], res
    assert "MLEDOJO_ATTACK_SECRET" not in res["proc1"] and ctx.secret not in res["proc1"]


@attack("server-tcp-port")
def _(ctx):
    res = ctx.probe(ctx.session(), r'''
import json, socket
out = {}
for host in ("127.0.0.1", "localhost", "0.0.0.0"):
    try:
        socket.create_connection((host, PORT), timeout=2).close()
        out[host] = "connected"
    except OSError as e:
        out[host] = type(e).__name__
try:
    socket.create_connection(("8.8.8.8", 53), timeout=2).close()
    out["internet"] = "connected"
except OSError as e:
    out["internet"] = type(e).__name__
out["interfaces"] = [n for _, n in socket.if_nameindex()]
print(json.dumps(out))
''', PORT=ctx.server.port)
    assert set(res.pop("interfaces")) <= {"lo"}
    assert "connected" not in res.values(), res


@attack("server-admin-register-task-over-zmq")
def _(ctx):
    with ctx.server.client() as c:
        before = [t["id"] for t in c.list_tasks()]
    res = ctx.probe(ctx.session(), r'''
import json
import zmq
ctx = zmq.Context()
sock = ctx.socket(zmq.DEALER)
sock.setsockopt(zmq.LINGER, 0)
sock.connect(ENDPOINT)
for req in ({"v": 1, "id": "r", "action": "register_task", "params": {"path": "/workspace"}},
            {"v": 1, "id": "h", "action": "health"}):
    sock.send_multipart([b"", json.dumps(req).encode()], flags=zmq.NOBLOCK)
reply = sock.recv_multipart()[-1].decode() if sock.poll(2500) else None
sock.close()
ctx.term()
print(json.dumps({"reply": reply}))
''', ENDPOINT=ctx.server.endpoint)
    assert res["reply"] is None, res  # nothing answers from inside: there is no network
    with ctx.server.client() as c:
        assert [t["id"] for t in c.list_tasks()] == before


FIND_MARKER = r'''
import glob, json, os
hits = []
cands = glob.glob(RUNS + "/*/workspace/" + MARKER) + [RUNS + "/" + VICTIM + "/workspace/" + MARKER]
cands += glob.glob("/proc/*/root/workspace/" + MARKER) + glob.glob("/proc/*/cwd/" + MARKER)
cands += glob.glob("/proc/*/root" + RUNS + "/*/workspace/" + MARKER)
cands += ["../" * k + VICTIM + "/workspace/" + MARKER for k in range(1, 8)]
for c in cands:
    if os.path.exists(c):
        hits.append(c)
for root, dirs, files in os.walk("/"):
    if root == "/":
        dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
    if MARKER in files:
        hits.append(os.path.join(root, MARKER))
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print(json.dumps({"hits": hits, "runs_visible": os.path.exists(RUNS), "pids": pids}))
'''


@attack("other-session-workspace-by-host-path")
def _(ctx):
    victim, thief = ctx.session(), ctx.session()
    marker = "victim-marker-" + secrets.token_hex(6)
    assert victim.execute_code(f"open({marker!r}, 'w').write('mine')")["result"]["execution"]["status"] == "SUCCESS"
    assert (ctx.workspace(victim) / marker).is_file()  # it is there on the host
    res = ctx.probe(thief, FIND_MARKER, RUNS=str(ctx.server.runs.resolve()), VICTIM=victim.id, MARKER=marker)
    assert res["hits"] == [] and res["runs_visible"] is False, res


@attack("other-session-workspace-by-proc")
def _(ctx):
    victim, thief = ctx.session(), ctx.session()
    marker = "victim-marker-" + secrets.token_hex(6)
    # the victim keeps processes alive, cwd in its workspace, while the thief looks through /proc
    rid = ctx.client.send("execute_code", session=victim.id, params={
        "code": f"import time\nopen({marker!r}, 'w').write('mine')\ntime.sleep(5)\n"})
    time.sleep(1.5)
    res = ctx.probe(thief, FIND_MARKER, RUNS=str(ctx.server.runs.resolve()), VICTIM=victim.id, MARKER=marker)
    assert ctx.client.wait(rid)["ok"]
    assert (ctx.workspace(victim) / marker).is_file()
    assert res["hits"] == [], res
    assert len(res["pids"]) <= 6, f"the thief sees more than its own sandbox: {res['pids']}"


@attack("write-outside-workspace")
def _(ctx):
    s = ctx.session()
    name = "planted-" + secrets.token_hex(4)
    res = ctx.probe(s, r'''
import json, os, sys
out = {}
targets = ["/data", "/usr", "/usr/lib", "/code", "/opt/mledojo", "/bin", "/proc", "/sys",
           os.path.dirname(os.path.dirname(sys.executable)), os.path.dirname(sys.executable)]
for d in targets:
    p = os.path.join(d, NAME)
    try:
        with open(p, "w") as f:
            f.write("x")
        out[p] = "WROTE"
    except OSError as e:
        out[p] = type(e).__name__
for p in ("/data/train.csv", "/data/sample_submission.csv", "/opt/mledojo/zygote.py"):
    try:
        with open(p, "a") as f:
            f.write("tampered")
        out[p] = "WROTE"
    except OSError as e:
        out[p] = type(e).__name__
for d in ("/data", "/opt/mledojo", "/code"):
    try:
        os.rename(d, "/workspace/moved")
        out["rename " + d] = "MOVED"
    except OSError as e:
        out["rename " + d] = type(e).__name__
print(json.dumps(out))
''', NAME=name)
    assert "WROTE" not in res.values() and "MOVED" not in res.values(), res
    # nothing appeared in the host folders behind those mounts
    task_dir = TASK_DIRS.get(ctx.task)
    for d in ([task_dir / "data" / "public"] if task_dir else []) + [REPO / "python" / "mledojo_sandbox",
                                                                    ctx.server.runs / s.id / "steps"]:
        assert not list(d.rglob(name)), d
    ctx.next_run_ok(s)


@attack("memory-fill-via-writable-root-and-dev-tmpfs")
def _(ctx):
    """The root and /dev are read-only; /dev/shm and /tmp are tmpfs (RAM) of a bounded size, which a
    memory cgroup also counts against memory_mb: filling them ends the run OUT_OF_MEMORY there, and
    the session goes on (with a fresh sandbox if what the run left in RAM keeps it over its limit)."""
    s = ctx.session(budget={"memory_mb": 512, "disk_mb": 50, "exec_timeout_s": 30})
    ex = ctx.run(s, r'''
import json, os
out = {}
for d in ("/", "/etc", "/dev", "/dev/shm"):
    p, n = os.path.join(d, "fill.bin"), 0
    try:
        with open(p, "wb") as f:
            for _ in range(640):  # 640 MiB, past memory_mb and disk_mb
                f.write(b"x" * (1 << 20))
                n += 1
    except OSError as e:
        out[d + " error"] = type(e).__name__
    out[d] = n
    try:
        os.remove(p)
    except OSError:
        pass
print(json.dumps(out))
''')["result"]["execution"]
    assert ex["status"] in ("SUCCESS", "OUT_OF_MEMORY"), ex
    if ex["status"] == "SUCCESS":
        res = last_json_line(ex["stdout"])
        stored = {d: n for d, n in res.items() if not d.endswith("error")}
        assert max(stored.values()) <= 512, res
    ctx.next_run_ok(s)


@attack("tmp-is-private-between-sessions")
def _(ctx):
    a, b = ctx.session(), ctx.session()
    marker = "tmp-marker-" + secrets.token_hex(6)
    ex = ctx.run(a, f"open('/tmp/{marker}', 'w').write('a')\nprint('ok')")["result"]["execution"]
    assert ex["status"] == "SUCCESS"
    res = ctx.probe(b, r'''
import glob, json, os
print(json.dumps({"there": os.path.exists("/tmp/" + MARKER),
                  "proc": glob.glob("/proc/*/root/tmp/" + MARKER)}))
''', MARKER=marker)
    assert res == {"there": False, "proc": []}, res


@attack("tmp-is-private-to-the-session")
def _(ctx):
    """/tmp belongs to the session (protocol.md section 9): it persists between the session's runs,
    like the workspace, and no other session sees it."""
    s, other = ctx.session(), ctx.session()
    marker = "tmp-marker-" + secrets.token_hex(6)
    assert ctx.run(s, f"open('/tmp/{marker}', 'w').write('a')")["result"]["execution"]["status"] == "SUCCESS"
    assert ctx.next_run_ok(s, f"import os\nprint(os.path.exists('/tmp/{marker}'))")["stdout"].strip() == "True"
    assert ctx.next_run_ok(other, f"import os\nprint(os.path.exists('/tmp/{marker}'))")["stdout"].strip() == "False"


@pytest.mark.parametrize("name", attack_params(ATTACKS))
def test_attack(name, ctx):
    ATTACKS[name][0](ctx)
