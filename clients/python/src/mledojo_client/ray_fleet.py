"""A fleet of mledojo servers on a running Ray cluster: one host actor per node, each supervising
`mledojo serve` on its node. Steps never pass through Ray: clients talk ZeroMQ straight to the server
that holds their session (a `Router` over `Fleet.endpoints()`); Ray is only the control plane.

Each `ServerHost` actor:
- starts `mledojo serve --bind tcp://<node ip>:* --ready-file ... --exit-with-parent` on its node, with
  a database and runs folder of its own under ``state_dir/host-<index>`` (node-local storage: sessions
  survive a restart because the server resumes them from that database);
- restarts the server when it dies, on the same database (a server that is still draining holds the
  database lock; the host retries until it is free);
- is restarted by Ray if its own process dies (``max_restarts=-1``); the server it had started ends with
  it (``--exit-with-parent``), so no orphan keeps the port or the database;
- publishes the server's endpoint, pid and instance (``endpoint()``), read from the ready file the
  server writes once serving, so a client never reaches a server that is not the current one.

Hosts are placed one per node: on the nodes that offer the custom resource ``resource`` (one actor per
unit), or with a STRICT_SPREAD placement group of ``hosts`` bundles. They are detached, named
``mledojo-host-<index>`` in the namespace ``namespace``: `Fleet.connect()` finds them from any driver.

    python -m mledojo_client.ray_fleet up --binary /opt/mledojo/bin/mledojo --tasks /data/tasks \\
        --state /var/lib/mledojo --hosts 4
    python -m mledojo_client.ray_fleet status
    python -m mledojo_client.ray_fleet down

Needs ``pip install 'mledojo-client[ray]'``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

try:
    import ray
except ImportError as error:  # pragma: no cover - depends on the extra
    raise ImportError("mledojo_client.ray_fleet needs Ray: pip install 'mledojo-client[ray]'") from error

NAMESPACE = "mledojo"
NAME_PREFIX = "mledojo-host-"
RESTART_DELAYS_S = (0.2, 0.5, 1.0, 2.0, 5.0)


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=-1)
class ServerHost:
    """Starts and supervises one `mledojo serve` on this actor's node (see the module's docstring)."""

    def __init__(self, index: int, binary: str, tasks: str, state_dir: str, serve_args: Sequence[str] = (),
                 startup_s: float = 120.0, workdir: Optional[str] = None) -> None:
        self.index = index
        self.workdir = workdir
        self.binary = binary
        self.tasks = tasks
        self.serve_args = list(serve_args)
        self.node_ip = ray.util.get_node_ip_address()
        self.node_id = ray.get_runtime_context().get_node_id()
        self.state = Path(state_dir) / f"host-{index}"
        self.state.mkdir(parents=True, exist_ok=True)
        self.ready = self.state / "ready.json"
        self.restarts = -1  # the first start is not a restart
        self.stopping = False
        self.process: Optional[subprocess.Popen] = None
        self.lock = threading.Lock()
        # The server is started (and restarted) by this thread, which lives as long as the actor: the
        # server's --exit-with-parent follows the thread that started it.
        self.thread = threading.Thread(target=self._supervise, name="mledojo-serve", daemon=True)
        self.thread.start()
        self.endpoint(timeout_s=startup_s)

    def _command(self) -> List[str]:
        return [self.binary, "serve", "--tasks", self.tasks, "--bind", f"tcp://{self.node_ip}:*",
                "--db", str(self.state / "db.sqlite"), "--runs", str(self.state / "runs"),
                "--ready-file", str(self.ready), "--exit-with-parent", "--admin-bind", "none", *self.serve_args]

    def _supervise(self) -> None:
        failures = 0
        while not self.stopping:
            try:
                self.ready.unlink()
            except FileNotFoundError:
                pass
            with open(self.state / "serve.log", "ab") as log:
                process = subprocess.Popen(self._command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                           cwd=self.workdir)
            with self.lock:
                self.process = process
                self.restarts += 1
            started = time.monotonic()
            process.wait()
            if self.stopping:
                return
            # A server that served a while restarts at once; one that keeps failing (say, the database
            # is still locked by a server draining) backs off.
            failures = 0 if time.monotonic() - started > 30 else failures + 1
            time.sleep(RESTART_DELAYS_S[min(failures, len(RESTART_DELAYS_S) - 1)])

    def endpoint(self, timeout_s: float = 30.0) -> Dict[str, Any]:
        """The current server's ready record ({endpoint, pid, instance, ...}) plus this host's node and
        restart count; waits up to `timeout_s` for a (re)starting server to be ready."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self.lock:
                process = self.process
            try:
                record = json.loads(self.ready.read_text())
                if process is not None and record.get("pid") == process.pid and process.poll() is None:
                    return dict(record, node_ip=self.node_ip, node_id=self.node_id, host=self.index, restarts=self.restarts,
                                log=str(self.state / "serve.log"))
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                tail = (self.state / "serve.log").read_bytes()[-2000:].decode(errors="replace") if (self.state / "serve.log").exists() else ""
                raise TimeoutError(f"mledojo host {self.index} on {self.node_ip}: no server ready in {timeout_s} s\n{tail}")
            time.sleep(0.1)

    def server_pid(self) -> Optional[int]:
        with self.lock:
            return self.process.pid if self.process is not None and self.process.poll() is None else None

    def actor_pid(self) -> int:
        return os.getpid()

    def stop(self, timeout_s: float = 60.0) -> None:
        """Stops the server gracefully (SIGTERM: runs in flight are stored and answered first)."""
        self.stopping = True
        with self.lock:
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()


class Fleet:
    """The host actors of one namespace: start them (`up`), find them (`connect`), list their servers'
    endpoints for a `Router`, stop them (`down`)."""

    def __init__(self, hosts: List[Any], namespace: str = NAMESPACE) -> None:
        self.hosts = hosts
        self.namespace = namespace

    @classmethod
    def up(cls, binary: str, tasks: str, state_dir: str, hosts: Optional[int] = None, resource: Optional[str] = None,
           serve_args: Sequence[str] = (), namespace: str = NAMESPACE, startup_s: float = 120.0,
           workdir: Optional[str] = None) -> "Fleet":
        """Starts one detached host actor per node: `hosts` of them spread over distinct nodes (a
        STRICT_SPREAD placement group), or one per unit of the custom resource `resource`. `workdir`: the
        folder each server runs in (its relative paths, such as the default `--venv .venv`, start there;
        the same path on every node)."""
        if (hosts is None) == (resource is None):
            raise ValueError("give either hosts (a count, spread one per node) or resource (a custom resource per node)")
        if cls.connect(namespace).hosts:
            raise RuntimeError(f"a fleet is already up in namespace {namespace!r}: Fleet.connect() it, or down() it first")
        binary = str(Path(binary).resolve())
        handles = []
        if resource is not None:
            count = int(sum(node.get("Resources", {}).get(resource, 0) for node in ray.nodes() if node.get("Alive")))
            if count < 1:
                raise RuntimeError(f"no live node offers the resource {resource!r} (ray start --resources '{{\"{resource}\": 1}}')")
            options = [dict(resources={resource: 1}) for _ in range(count)]
        else:
            from ray.util.placement_group import placement_group
            from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy
            group = placement_group([{"CPU": 0.01}] * int(hosts), strategy="STRICT_SPREAD", lifetime="detached",
                                    name=cls.group_name(namespace))
            ray.get(group.ready(), timeout=startup_s)
            options = [dict(num_cpus=0.01, scheduling_strategy=PlacementGroupSchedulingStrategy(group, placement_group_bundle_index=i))
                       for i in range(int(hosts))]
        for index, option in enumerate(options):
            handles.append(ServerHost.options(name=f"{NAME_PREFIX}{index}", namespace=namespace, lifetime="detached",
                                              **option).remote(index, binary, tasks, state_dir, list(serve_args), startup_s, workdir))
        fleet = cls(handles, namespace)
        fleet.status(timeout_s=startup_s)  # every host has a server ready
        return fleet

    @staticmethod
    def group_name(namespace: str) -> str:
        """The STRICT_SPREAD placement group's name (named groups live in the creating driver's namespace)."""
        return f"{NAME_PREFIX}group-{namespace}"

    @classmethod
    def connect(cls, namespace: str = NAMESPACE) -> "Fleet":
        """The fleet already up in `namespace` (no hosts if none)."""
        names = sorted((a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
                        if a.get("namespace") == namespace and a["name"].startswith(NAME_PREFIX)),
                       key=lambda name: int(name[len(NAME_PREFIX):]))
        return cls([ray.get_actor(name, namespace=namespace) for name in names], namespace)

    def status(self, timeout_s: float = 30.0) -> List[Dict[str, Any]]:
        """Each host's ready record: endpoint, pid, instance, node_ip, node_id, restarts."""
        return ray.get([host.endpoint.remote(timeout_s) for host in self.hosts], timeout=timeout_s + 30)

    def endpoints(self, timeout_s: float = 30.0) -> List[str]:
        """The servers' endpoints, for `Router(fleet.endpoints())`."""
        return [record["endpoint"] for record in self.status(timeout_s)]

    def down(self) -> None:
        """Stops every server gracefully, then the host actors and their placement group."""
        try:
            ray.get([host.stop.remote() for host in self.hosts], timeout=120)
        except Exception:  # a host that is gone already
            pass
        for host in self.hosts:
            ray.kill(host, no_restart=True)
        self.hosts = []
        try:
            from ray.util.placement_group import get_placement_group, remove_placement_group
            remove_placement_group(get_placement_group(self.group_name(self.namespace)))
        except Exception:  # none was made (resource placement) or it is gone
            pass


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mledojo_client.ray_fleet",
                                     description="Start, inspect or stop a fleet of mledojo servers on a running Ray cluster.")
    parser.add_argument("--address", default="auto", help="the Ray cluster (default: auto)")
    parser.add_argument("--namespace", default=NAMESPACE)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start one server host per node")
    up.add_argument("--binary", required=True, help="the mledojo binary, at the same path on every node")
    up.add_argument("--tasks", required=True, help="the tasks folder, at the same path on every node")
    up.add_argument("--state", required=True, help="where each host keeps its database and runs (node-local)")
    up.add_argument("--workdir", help="the folder each server runs in (the repository, for its default --venv .venv)")
    placement = up.add_mutually_exclusive_group(required=True)
    placement.add_argument("--hosts", type=int, help="this many hosts, one per node (STRICT_SPREAD)")
    placement.add_argument("--resource", help="one host per unit of this custom resource")
    up.add_argument("serve_args", nargs=argparse.REMAINDER, help="after --: more `mledojo serve` options")
    commands.add_parser("status", help="print each host's server (JSON lines)")
    commands.add_parser("endpoints", help="print the servers' endpoints, one per line (a Router's endpoints file)")
    commands.add_parser("down", help="stop every server and host")
    args = parser.parse_args(argv)
    ray.init(address=args.address, namespace=args.namespace, logging_level="ERROR")
    if args.command == "up":
        serve_args = [a for a in args.serve_args if a != "--"]
        fleet = Fleet.up(args.binary, args.tasks, args.state, hosts=args.hosts, resource=args.resource,
                         serve_args=serve_args, namespace=args.namespace, workdir=args.workdir)
        for record in fleet.status():
            print(json.dumps(record))
        return 0
    fleet = Fleet.connect(args.namespace)
    if not fleet.hosts:
        print(f"no fleet in namespace {args.namespace!r}", file=sys.stderr)
        return 1
    if args.command == "status":
        for record in fleet.status():
            print(json.dumps(record))
    elif args.command == "endpoints":
        print("\n".join(fleet.endpoints()))
    else:
        fleet.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
