"""The warm worker that runs inside a session's sandbox.

It imports the heavy libraries once, then forks a child per run, so each run starts from a clean,
pre-imported interpreter in a few milliseconds. It speaks JSON lines with the server on stdin/stdout:

  server -> {"op": "run", "run": ID, "code": PATH, "stdout": PATH, "stderr": PATH,
             "limits": {"cpu_s", "memory_bytes", "file_bytes", "processes", "open_files"},
             "persistent": false}
  server -> {"op": "kill"}                      kill every process of the sandbox but this one
  worker -> {"event": "ready", "pid": N, "preloaded": [...]}
  worker -> {"event": "started", "run": ID}
  worker -> {"event": "done", "run": ID, "exit_code": N|null, "signal": N|null,
             "memory_error": bool, "cpu_s": X, "max_rss_kb": N}

A run's processes never outlive it: when its main process ends, every other process in the
sandbox's PID namespace (daemons, sleeping children) is killed. With "persistent": true the runs
share one long-lived kernel process and its globals (state survives between runs until a kill);
between runs the kernel is stopped (SIGSTOP), so threads it started only ever run during a run,
under the server's watch.

In the sandbox this worker is PID 1 (bubblewrap --as-pid-1): it reaps every orphan, and when it
exits the kernel kills whatever is left in the namespace.
"""

import json
import os
import resource
import select
import signal
import sys
import time

# What the worker imports before its first fork. Every run is a fresh fork of this worker, so a module
# listed here costs each session's worker its memory once, and one left out is imported again by every
# run that uses it. Measured with the venv (figures in the README, "What the venv holds"): numpy,
# pandas and scikit-learn with the submodules below are what most agent solutions and the bundled
# baseline import; they cost ~0.85 s of CPU at worker start and ~113 MB (PSS of the worker and its
# forked-ahead child) per session, and would otherwise cost ~0.8 s of CPU in every such run (numpy and
# pandas alone: 46 MB). The last four submodules add ~1 MB and ~10 ms: scikit-learn's own import already
# brings most of scipy (sparse, stats, optimize, linalg). Left out: lightgbm and xgboost (a minority of
# runs; a run imports one in ~0.04 s, since they reuse the preloaded pandas, sklearn and scipy, while
# preloading both costs every session ~7 MB PSS and ~25 MB of address space, which counts against
# RLIMIT_AS on hosts without memory cgroups) and Levenshtein (MLE-Dojo's metrics, on the trusted side).
# Fork safety: none of these starts a thread at import when OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and
# MKL_NUM_THREADS are 1, as the server sets them for the sandbox (without them numpy's and scipy's
# OpenBLAS start their thread pools at import); OpenMP (libgomp in sklearn, lightgbm, xgboost) starts
# threads only at a first parallel region, never at import. Tests/Integration/test_worker_imports.py
# checks both: one thread in the ready worker, and lightgbm and xgboost imported and used in a run.
PRELOAD = [m for m in os.environ.get("MLEDOJO_PRELOAD", "numpy,pandas,sklearn").split(",") if m]
SKLEARN_SUBMODULES = ("sklearn.linear_model", "sklearn.ensemble", "sklearn.model_selection",
                      "sklearn.preprocessing", "sklearn.metrics", "sklearn.impute", "sklearn.pipeline",
                      "sklearn.compose", "sklearn.feature_extraction.text")
MEMORY_ERROR_EXIT = 201


def set_dumpable(dumpable):
    """prctl(PR_SET_DUMPABLE): a non-dumpable process cannot be ptraced or have its /proc fds opened."""
    import ctypes
    ctypes.CDLL(None).prctl(4, 1 if dumpable else 0, 0, 0, 0)


def die_with_parent():
    """prctl(PR_SET_PDEATHSIG, SIGKILL): bubblewrap's --die-with-parent does not survive setpriv's uid
    change, so the worker asks again; when it dies, its PID namespace and every run in it go too."""
    import ctypes
    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)


def emit(message):
    try:
        os.write(1, (json.dumps(message) + "\n").encode())
    except BrokenPipeError:  # the server is gone (as PID 1, SIGPIPE does not end this process)
        os._exit(0)


def preload():
    loaded = []
    for name in PRELOAD:
        try:
            __import__(name)
            loaded.append(name)
        except Exception:  # a missing optional library only makes runs slower
            pass
    if "sklearn" in loaded:
        for sub in SKLEARN_SUBMODULES:
            try:
                __import__(sub)
            except Exception:
                pass
    return loaded


def apply_limits(limits, cpu_used=0.0):
    def set_limit(kind, value, hard=None):
        if value:
            resource.setrlimit(kind, (int(value), int(hard if hard is not None else value)))
    if limits.get("cpu_s"):
        soft = int(cpu_used + limits["cpu_s"]) + 1
        set_limit(resource.RLIMIT_CPU, soft, soft + 2)
    set_limit(resource.RLIMIT_AS, limits.get("memory_bytes"))
    set_limit(resource.RLIMIT_FSIZE, limits.get("file_bytes"))
    set_limit(resource.RLIMIT_NPROC, limits.get("processes"))
    set_limit(resource.RLIMIT_NOFILE, limits.get("open_files"))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def redirect(command):
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    for fd, key in ((1, "stdout"), (2, "stderr")):
        target = os.open(command[key], flags, 0o644)
        os.dup2(target, fd)
        os.close(target)


def execute(path, namespace):
    """Runs one file in `namespace`; returns the exit code."""
    import traceback
    try:
        with open(path, encoding="utf-8") as source:
            code = compile(source.read(), path, "exec", dont_inherit=True)
        exec(code, namespace)
        return 0
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            return stop.code or 0
        print(stop.code, file=sys.stderr)
        return 1
    except MemoryError:
        traceback.print_exc()
        return MEMORY_ERROR_EXIT
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def become_run_process():
    """A forked child: not on the worker's SIGCHLD wake-up pipe, and the OOM killer's first choice in
    the session's memory cgroup (the worker must survive a run that allocates too much)."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    try:
        with open("/proc/self/oom_score_adj", "w") as adjust:
            adjust.write("1000")
    except OSError:
        pass


def spare_child(commands, status):
    """A child forked ahead of time: waits for its run, runs it, reports, exits."""
    become_run_process()
    os.setsid()
    line = b""
    while not line.endswith(b"\n"):
        chunk = os.read(commands, 65536)
        if not chunk:
            os._exit(0)  # the worker is going away
        line += chunk
    os.close(commands)
    command = json.loads(line)
    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    redirect(command)
    os.closerange(3, status)
    os.closerange(status + 1, 65536)
    apply_limits(command.get("limits", {}))
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # a write past file_bytes ends the run: FILE_SIZE_LIMIT
    set_dumpable(True)  # its own pipes are closed: the run may inspect itself (the worker stays hidden)
    sys.argv = [command["code"]]
    sys.path.insert(0, os.getcwd())
    namespace = {"__name__": "__main__", "__file__": command["code"], "__builtins__": __builtins__}
    code = execute(command["code"], namespace)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = {"exit_code": code, "cpu_s": usage.ru_utime + usage.ru_stime, "max_rss_kb": usage.ru_maxrss}
    os.write(status, (json.dumps(report) + "\n").encode())
    os._exit(code)


def in_child(function, *arguments):
    """Runs a forked child's body; whatever happens, the child never returns into the worker's loop."""
    try:
        function(*arguments)
    except BaseException as error:  # e.g. the log file could not be opened
        try:
            os.write(2, f"mledojo worker: the run could not start: {error!r}\n".encode())
        finally:
            os._exit(1)
    os._exit(0)


def kernel_child(requests, replies, limits):
    """A persistent kernel: runs each code file it is sent in the same globals."""
    become_run_process()
    os.setsid()
    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    apply_limits(dict(limits, cpu_s=None))
    sys.path.insert(0, os.getcwd())
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    reader = os.fdopen(requests, "r")
    for line in reader:
        command = json.loads(line)
        redirect(command)
        used = resource.getrusage(resource.RUSAGE_SELF)
        apply_limits(dict(limits, memory_bytes=None, processes=None, open_files=None,
                          cpu_s=command.get("limits", {}).get("cpu_s")), used.ru_utime + used.ru_stime)
        namespace["__file__"] = command["code"]
        code = execute(command["code"], namespace)
        os.write(replies, (json.dumps({"exit_code": code}) + "\n").encode())
    os._exit(0)


# Set by the server only when this worker runs in a PID namespace of its own (bubblewrap
# --unshare-pid): then "every process but PID 1 and this one" is exactly the runs' processes.
# Without it (the server's --unsafe-no-sandbox mode) only the runs' own sessions are killed.
OWN_PID_NAMESPACE = os.environ.get("MLEDOJO_OWN_PID_NAMESPACE") == "1" and os.getpid() < 100


def kill_others(sessions=(), keep=()):
    """Kills the runs' processes: every process of the sandbox except PID 1 (bubblewrap's init),
    this worker and `keep`; outside a PID namespace, only the process groups in `sessions`."""
    if not OWN_PID_NAMESPACE:
        for session in sessions:
            try:
                os.killpg(session, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        return
    spared = {1, os.getpid(), *keep}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in spared:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


class Worker:
    def __init__(self):
        self.poller = select.poll()
        self.poller.register(0, select.POLLIN)
        self.runs = {}            # pidfd -> (run id, pid)
        self.statuses = {}        # status pipe -> (run id, pidfd)
        self.reported = set()     # runs already reported done (from their status pipe)
        self.spare = None         # (pid, command pipe, status pipe): a child forked ahead of the next run
        self.kernel = None        # (pid, pidfd, request fd, reply fd)
        self.kernel_run = None    # run id in flight on the kernel
        self.buffer = b""
        self.exited = {}          # pid -> (status, rusage): tracked children reaped by collect()
        self.wakeup, wakeup_w = os.pipe()
        os.set_blocking(self.wakeup, False)
        os.set_blocking(wakeup_w, False)
        signal.set_wakeup_fd(wakeup_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.poller.register(self.wakeup, select.POLLIN)

    def serve(self):
        preloaded = preload()
        self.fork_spare()
        emit({"event": "ready", "pid": os.getpid(), "preloaded": preloaded})
        while True:
            for fd, _ in self.poller.poll():
                if fd == 0:
                    if not self.read_commands():
                        return
                elif fd in self.statuses:
                    self.read_status(fd)
                elif fd in self.runs:
                    self.reap(fd)
                elif self.kernel and fd == self.kernel[3]:
                    self.kernel_reply()
                elif self.kernel and fd == self.kernel[1]:
                    self.kernel_died()
                elif fd == self.wakeup:
                    self.collect()

    def tracked_pids(self):
        return {pid for _, pid in self.runs.values()} | set(self.live_pids())

    def collect(self):
        """Reaps every child that ended: orphans of killed runs are reparented to this worker (PID 1)
        and would otherwise stay zombies; a tracked child's status is kept for its own handler."""
        try:
            while os.read(self.wakeup, 4096):
                pass
        except BlockingIOError:
            pass
        tracked = self.tracked_pids()
        while True:
            try:
                pid, status, usage = os.wait3(os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in tracked:
                self.exited[pid] = (status, usage)

    def wait(self, pid):
        """The exit status and usage of a tracked child, whether collect() reaped it already or not."""
        if pid in self.exited:
            return self.exited.pop(pid)
        _, status, usage = os.wait4(pid, 0)
        return status, usage

    def read_commands(self):
        chunk = os.read(0, 65536)
        if not chunk:
            return False
        self.buffer += chunk
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            if line.strip():
                self.handle(json.loads(line))
        return True

    def handle(self, command):
        if command.get("op") == "kill":
            kill_others(sessions=[pid for _, pid in self.runs.values()] + ([self.kernel[0]] if self.kernel else []),
                        keep=[self.spare[0]] if self.spare else [])
        elif command.get("op") == "run" and command.get("persistent"):
            self.run_on_kernel(command)
        elif command.get("op") == "run":
            pid, pidfd, status = self.hand_over(command)
            self.runs[pidfd] = (command["run"], pid)
            self.statuses[status] = (command["run"], pidfd)
            self.poller.register(pidfd, select.POLLIN)
            self.poller.register(status, select.POLLIN)
            emit({"event": "started", "run": command["run"]})
            self.fork_spare()  # the next run's child is forked while this one runs

    def hand_over(self, command):
        """Sends the run to the forked-ahead child; returns its pid, pidfd and status pipe."""
        message = (json.dumps(command) + "\n").encode()
        for _ in range(2):  # the second time with a child forked just now (a run's kill(-1) reaches it)
            pid, commands, status = self.take_spare()
            try:
                pidfd = os.pidfd_open(pid)
            except ProcessLookupError:
                self.discard(pid, commands, status)
                continue
            try:
                os.write(commands, message)
            except BrokenPipeError:
                os.close(pidfd)
                self.discard(pid, commands, status)
                continue
            os.close(commands)
            return pid, pidfd, status
        raise OSError("the forked-ahead child died before its run, twice")

    def take_spare(self):
        """The forked-ahead child, or a fresh one if it is gone (a run's kill(-1) reaches it)."""
        if self.spare and not self.is_alive(self.spare[0]):
            self.discard(*self.spare)
        if self.spare is None:
            self.fork_spare()
        spare, self.spare = self.spare, None
        return spare

    def is_alive(self, pid):
        if pid in self.exited:
            return False
        try:
            return os.waitpid(pid, os.WNOHANG)[0] == 0
        except ChildProcessError:
            return False

    def discard(self, pid, commands, status):
        self.exited.pop(pid, None)
        for fd in (commands, status):
            os.close(fd)
        if self.spare and self.spare[0] == pid:
            self.spare = None

    def live_pids(self):
        """Processes a cleanup must spare: the forked-ahead child and the persistent kernel."""
        return ([self.spare[0]] if self.spare else []) + ([self.kernel[0]] if self.kernel else [])

    def fork_spare(self):
        commands_r, commands_w = os.pipe()
        status_r, status_w = os.pipe()
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            os.close(commands_w)
            os.close(status_r)
            in_child(spare_child, commands_r, status_w)
        os.close(commands_r)
        os.close(status_w)
        self.spare = (pid, commands_w, status_r)

    def read_status(self, status):
        """The run's own report, sent just before it exits: answer at once, not after its teardown."""
        run, pidfd = self.statuses.pop(status)
        self.poller.unregister(status)
        data = b""
        while True:
            chunk = os.read(status, 4096)
            if not chunk:
                break
            data += chunk
            if data.endswith(b"\n"):
                break
        os.close(status)
        if not data:
            return  # killed before reporting: the pidfd tells how
        report = json.loads(data)
        _, pid = self.runs[pidfd]
        kill_others(sessions=[pid], keep=self.live_pids())
        self.reported.add(run)
        emit({"event": "done", "run": run, "exit_code": report["exit_code"], "signal": None,
              "memory_error": report["exit_code"] == MEMORY_ERROR_EXIT,
              "cpu_s": round(report["cpu_s"], 4), "max_rss_kb": report["max_rss_kb"]})

    def reap(self, pidfd):
        run, pid = self.runs.pop(pidfd)
        self.poller.unregister(pidfd)
        os.close(pidfd)
        status, usage = self.wait(pid)
        for pipe, (other, _) in list(self.statuses.items()):
            if other == run:  # killed before it could report
                self.poller.unregister(pipe)
                os.close(pipe)
                del self.statuses[pipe]
        if run in self.reported:  # its leftovers were killed when it reported; a newer run may be going
            self.reported.discard(run)
        else:
            kill_others(sessions=[pid], keep=self.live_pids())
            self.report(run, status, usage)
        if self.spare is None:
            self.fork_spare()

    def report(self, run, status, usage, exit_code=None):
        signaled = os.WIFSIGNALED(status)
        code = exit_code if exit_code is not None else (None if signaled else os.WEXITSTATUS(status))
        emit({"event": "done", "run": run, "exit_code": code,
              "signal": os.WTERMSIG(status) if signaled else None,
              "memory_error": code == MEMORY_ERROR_EXIT,
              "cpu_s": round(usage.ru_utime + usage.ru_stime, 4), "max_rss_kb": usage.ru_maxrss})

    def run_on_kernel(self, command):
        if self.kernel is None:
            requests_r, requests_w = os.pipe()
            replies_r, replies_w = os.pipe()
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                os.close(requests_w)
                os.close(replies_r)
                in_child(kernel_child, requests_r, replies_w, command.get("limits", {}))
            os.close(requests_r)
            os.close(replies_w)
            pidfd = os.pidfd_open(pid)
            self.kernel = (pid, pidfd, requests_w, replies_r)
            self.poller.register(pidfd, select.POLLIN)
            self.poller.register(replies_r, select.POLLIN)
        self.kernel_run = command["run"]
        try:
            os.kill(self.kernel[0], signal.SIGCONT)  # frozen since its last run
        except ProcessLookupError:
            pass
        os.write(self.kernel[2], (json.dumps(command) + "\n").encode())
        emit({"event": "started", "run": command["run"]})

    def kernel_reply(self):
        line = b""
        while not line.endswith(b"\n"):
            chunk = os.read(self.kernel[3], 1)
            if not chunk:
                return self.kernel_died()
            line += chunk
        reply = json.loads(line)
        try:  # its threads must not run unwatched until the next run: stopped before "done" is sent
            os.kill(self.kernel[0], signal.SIGSTOP)
            os.waitid(os.P_PID, self.kernel[0], os.WSTOPPED | os.WEXITED | os.WNOWAIT)
        except (ProcessLookupError, ChildProcessError):
            pass  # it is gone already: its pidfd reports that
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        run, self.kernel_run = self.kernel_run, None
        kill_others(keep=[self.kernel[0]] + ([self.spare[0]] if self.spare else []))  # no leftovers
        self.report(run, 0, usage, exit_code=reply["exit_code"])

    def kernel_died(self):
        pid, pidfd, requests_w, replies_r = self.kernel
        for fd in (pidfd, replies_r):
            self.poller.unregister(fd)
        for fd in (pidfd, requests_w, replies_r):
            os.close(fd)
        status, usage = self.wait(pid)
        self.kernel = None
        kill_others(sessions=[pid], keep=[self.spare[0]] if self.spare else [])
        if self.kernel_run is not None:
            run, self.kernel_run = self.kernel_run, None
            self.report(run, status, usage)


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    # Runs share this sandbox's uid: without this they could ptrace the worker or open its forked-ahead
    # child's command pipe through /proc and start code outside every limit.
    set_dumpable(False)
    die_with_parent()
    Worker().serve()


if __name__ == "__main__":
    main()
