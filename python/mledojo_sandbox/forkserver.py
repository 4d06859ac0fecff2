"""The fork server: one pre-imported interpreter whose forks become the sessions' workers.

Every session's worker (zygote.py) imports numpy, pandas and scikit-learn; started one by one, each
holds its own copy of those pages (~105 MiB PSS a session). Forked from this process instead, they
share its pages copy-on-write, and a new session's worker is ready in milliseconds instead of a second.
Each fork then confines itself as bubblewrap would (confine.py) before any agent code can run in it.

Started by a root server (the root layout) with the agent environment, outside any sandbox; it runs no
agent code and holds nothing secret (no server environment, no task data). Its protocol:

  descriptor 0: a SOCK_SEQPACKET socket to the server. Each message is one JSON request with one
      descriptor attached (SCM_RIGHTS): the new worker's end of a stream socket, which becomes its
      stdin and stdout (zygote.py's JSON lines). The request:
        {"root": [steps], "chdir": PATH, "uid": N, "log": HOST_PATH, "cgroup_procs": HOST_PATH|null}
      The server closing it ends the fork server, and with it every worker (parent-death signals).
  descriptor 3 (optional): the seccomp filter every worker installs last.
  On the worker's socket, before zygote.py's own events:
        {"event": "spawned", "pid": HOST_PID}     the worker's pid as the server sees it
        {"event": "failed", "error": TEXT}       it could not be confined (nothing ran)

Per session, two processes: a small parent that entered the new namespaces and waits (its child is
PID 1 of the new PID namespace, and must be its child), and the worker itself.
"""

import gc
import json
import os
import select
import signal
import socket
import sys

import confine
import zygote


def read_all(descriptor):
    data = b""
    while True:
        chunk = os.read(descriptor, 65536)
        if not chunk:
            return data
        data += chunk


def send_line(descriptor, message):
    try:
        os.write(descriptor, (json.dumps(message) + "\n").encode())
    except OSError:
        pass


def abandoned(channel):
    """Whether the server has shut its end of the worker's socket already: it writes nothing there before
    the worker is ready, so any event (end of file, hang-up) means the worker is no longer wanted."""
    poller = select.poll()
    poller.register(channel, select.POLLIN | select.POLLHUP | select.POLLRDHUP | select.POLLERR)
    return bool(poller.poll(0))


def reap(*_):
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def session_parent(request, channel, seccomp, server_pid):
    """The forked child: enters the namespaces, forks the worker as their PID 1, reports its pid, waits."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    confine.die_with_parent(signal.SIGKILL)
    if os.getppid() != server_pid:
        os._exit(1)
    os.close(0)  # the fork server's control socket: no session may talk to it
    try:
        if request.get("cgroup_procs"):  # born inside the session's memory group, before its namespace
            with open(request["cgroup_procs"], "w") as procs:
                procs.write(str(os.getpid()))
        confine.enter_namespaces()
        go_read, go_write = os.pipe()
        pid = os.fork()
    except Exception as error:
        send_line(channel, {"event": "failed", "error": f"cannot enter the sandbox's namespaces: {error}"})
        os._exit(1)
    if pid == 0:
        os.close(go_write)
        session_worker(request, channel, seccomp, go_read)
        os._exit(1)
    os.close(go_read)
    send_line(channel, {"event": "spawned", "pid": pid})
    os.write(go_write, b"1")
    os.close(go_write)
    os.close(channel)
    _, status = os.waitpid(pid, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def session_worker(request, channel, seccomp, go):
    """PID 1 of the session's namespaces: confines itself, then serves as zygote.py's worker."""
    report = channel
    try:
        confine.die_with_parent(signal.SIGKILL)
        os.read(go, 1)  # the parent has reported this pid first
        os.close(go)
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        os.dup2(channel, 0)
        os.dup2(channel, 1)
        os.dup2(log, 2)
        report = 1
        os.closerange(3, os.sysconf("SC_OPEN_MAX") if os.sysconf("SC_OPEN_MAX") > 0 else 65536)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        last_capability = confine.last_capability()
        confine.loopback_up()
        confine.build_root(request["root"], request["chdir"])
        os.setsid()
        confine.drop_privileges(int(request["uid"]), last_capability)
        confine.install_seccomp(seccomp)
    except Exception as error:
        send_line(report, {"event": "failed", "error": f"cannot confine the worker: {error}"})
        os._exit(1)
    zygote.OWN_PID_NAMESPACE = os.environ.get("MLEDOJO_OWN_PID_NAMESPACE") == "1" and os.getpid() == 1
    zygote.main()
    os._exit(0)


def serve():
    control = socket.socket(fileno=0)
    try:
        seccomp = read_all(3)
        os.close(3)
    except OSError:
        seccomp = b""
    preloaded = zygote.preload()
    gc.freeze()  # the imported objects stay where they are: a fork's collections do not copy their pages
    signal.signal(signal.SIGCHLD, reap)
    server_pid = os.getpid()
    control.send(json.dumps({"event": "ready", "pid": server_pid, "preloaded": preloaded}).encode())
    while True:
        try:
            message, descriptors, _, _ = socket.recv_fds(control, 1 << 20, 4)
        except ConnectionResetError:
            return
        if not message:
            return  # the server is gone
        if not descriptors:
            continue
        for extra in descriptors[1:]:
            os.close(extra)
        channel = descriptors[0]
        if abandoned(channel):  # the server stopped this worker before its turn came (a burst of resets)
            os.close(channel)
            continue
        try:
            request = json.loads(message)
        except ValueError:
            send_line(channel, {"event": "failed", "error": "the fork server got a request that is not JSON"})
            os.close(channel)
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                session_parent(request, channel, seccomp, server_pid)
            finally:
                os._exit(1)
        os.close(channel)


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    zygote.set_dumpable(False)
    zygote.die_with_parent()
    serve()
