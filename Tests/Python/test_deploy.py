"""deploy/: the Kubernetes manifests, the Slurm job-array script and the Dockerfile.

Offline: every manifest under deploy/kubernetes is validated against the Kubernetes API's JSON
schemas that ``kubernetes-validate`` ships inside its wheel (strict: an unknown field is an error),
for the oldest and the newest Kubernetes version this deployment targets; then the points the
deployment depends on are checked by reading the YAML: the probes ask ``mledojo health``, one pod
per node, a volume per pod, the security context bubblewrap needs, the headless Service.
The Slurm script must pass ``bash -n`` (and shellcheck where installed), and, where the server is
built, it is run for real with a faked array task: it publishes a ready file, stops gracefully on
SIGTERM and takes its server down with it when it is killed.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
SLURM_SCRIPT = DEPLOY / "slurm" / "mledojo-array.sh"
DOCKERFILE = DEPLOY / "Dockerfile"
BIN = Path(os.environ.get("MLEDOJO_BIN") or REPO / ".build" / "debug" / "mledojo")

# appArmorProfile (securityContext) is a field from 1.30 on; kubernetes-validate 1.37.0 knows up to 1.37.
KUBERNETES_VERSIONS = ("1.31.0", "1.37.0")
PORT = 5555
# Placeholders the README explains (envsubst); nothing else may look like one.
PLACEHOLDERS = {"MLEDOJO_IMAGE"}
# Capabilities the server was checked to need (deploy/README.md, "Security").
REQUIRED_CAPABILITIES = {"SYS_ADMIN", "NET_ADMIN", "SETUID", "SETGID", "SETPCAP", "CHOWN", "DAC_OVERRIDE"}

yaml = pytest.importorskip("yaml", reason="PyYAML is not installed (python/requirements.txt pins it)")


def manifest_files():
    return sorted(KUBERNETES.glob("*.yaml"))


def documents():
    """(file name, document) for every YAML document under deploy/kubernetes."""
    out = []
    for path in manifest_files():
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None:
                out.append((path.name, document))
    return out


def by_kind(kind):
    found = [document for _, document in documents() if document.get("kind") == kind]
    assert found, f"no {kind} under {KUBERNETES}"
    return found


@pytest.fixture(scope="module")
def statefulset():
    (one,) = by_kind("StatefulSet")
    return one


@pytest.fixture(scope="module")
def server(statefulset):
    (container,) = [c for c in statefulset["spec"]["template"]["spec"]["containers"] if c["name"] == "mledojo"]
    return container


def flag_value(args, flag):
    assert flag in args, f"{flag} missing from {args}"
    return args[args.index(flag) + 1]


def help_flags(*command):
    """The --options `mledojo <command> --help` lists."""
    out = subprocess.run([str(BIN), *command, "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", out.stdout))


def needs_binary():
    if not BIN.exists():
        if os.environ.get("MLEDOJO_BIN"):
            pytest.fail(f"MLEDOJO_BIN={BIN} does not exist")
        pytest.skip(f"server binary {BIN} not built (swift build first, or set MLEDOJO_BIN)")


# --- Kubernetes: schemas ---------------------------------------------------------------------


def test_manifests_exist_and_parse():
    files = {path.name for path in manifest_files()}
    assert {"namespace.yaml", "service.yaml", "statefulset.yaml"} <= files
    for name, document in documents():
        assert {"apiVersion", "kind", "metadata"} <= document.keys(), name


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_manifests_match_the_kubernetes_schemas(version):
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate",
        reason="kubernetes-validate is not installed (pip install -r python/requirements.txt): "
               "the manifests' schema validation is skipped")
    checked = 0
    for name, document in documents():
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = "/".join(str(part) for part in error.path)
            pytest.fail(f"{name}: {document['kind']} is not valid Kubernetes {version} at {path or '(root)'}: "
                        f"{error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            pytest.fail(f"{name}: {error.message}")
        checked += 1
    assert checked >= 3


def test_validation_rejects_a_misspelt_field(statefulset):
    """The check above is strict: a misspelt field deep in the pod template does not pass."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is not installed")
    broken = json.loads(json.dumps(statefulset))
    broken["spec"]["template"]["spec"]["containers"][0]["securityContext"]["seccompProfil"] = {"type": "Unconfined"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)


def test_only_documented_placeholders():
    for path in [*manifest_files()]:
        names = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", path.read_text()))
        assert names <= PLACEHOLDERS, f"{path.name}: undocumented placeholders {names - PLACEHOLDERS}"
    readme = (DEPLOY / "README.md").read_text()
    for name in PLACEHOLDERS:
        assert name in readme


def test_one_namespace_for_everything():
    (namespace,) = by_kind("Namespace")
    name = namespace["metadata"]["name"]
    # The pods add SYS_ADMIN and run unconfined: the baseline and restricted levels would refuse them.
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    for file_name, document in documents():
        if document["kind"] != "Namespace":
            assert document["metadata"].get("namespace") == name, file_name


# --- Kubernetes: what the deployment depends on ----------------------------------------------


def test_statefulset_names_the_headless_service(statefulset):
    services = {s["metadata"]["name"]: s for s in by_kind("Service")}
    service = services[statefulset["spec"]["serviceName"]]
    assert service["spec"]["clusterIP"] == "None"
    pod_labels = statefulset["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert statefulset["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert [p["port"] for p in service["spec"]["ports"]] == [PORT]


def test_one_pod_per_node(statefulset):
    anti = statefulset["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
    (term,) = anti["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    pod_labels = statefulset["spec"]["template"]["metadata"]["labels"]
    assert term["labelSelector"]["matchLabels"].items() <= pod_labels.items()


def test_serve_keeps_its_state_on_a_volume_per_pod(statefulset, server):
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    (mount,) = [m for m in server["volumeMounts"] if m["name"] == claim["metadata"]["name"]]
    state = mount["mountPath"].rstrip("/")
    command = server.get("command", []) + server["args"]
    assert command[command.index("serve") - 1].endswith("mledojo")
    assert flag_value(command, "--bind") == f"tcp://0.0.0.0:{PORT}"
    assert flag_value(command, "--db").startswith(state + "/")
    assert flag_value(command, "--runs").startswith(state + "/")
    assert flag_value(command, "--tasks") == "/tasks"
    assert [p["containerPort"] for p in server["ports"]] == [PORT]


@pytest.mark.parametrize("probe", ["startupProbe", "readinessProbe", "livenessProbe"])
def test_probes_ask_mledojo_health(server, probe):
    command = server[probe]["exec"]["command"]
    assert Path(command[0]).name == "mledojo" and command[1] == "health", command
    assert flag_value(command, "--endpoint") == f"tcp://127.0.0.1:{PORT}"
    timeout = float(flag_value(command, "--timeout"))
    assert timeout < server[probe]["timeoutSeconds"]


def test_security_context_lets_bubblewrap_run_as_root(server):
    context = server["securityContext"]
    assert context["runAsUser"] == 0 and context["runAsNonRoot"] is False
    assert context["seccompProfile"]["type"] == "Unconfined"
    assert context["appArmorProfile"]["type"] == "Unconfined"
    if not context.get("privileged"):
        capabilities = context["capabilities"]
        assert capabilities["drop"] == ["ALL"]
        assert REQUIRED_CAPABILITIES <= set(capabilities["add"])
        # The API server refuses allowPrivilegeEscalation: false with CAP_SYS_ADMIN.
        assert context.get("allowPrivilegeEscalation", True) is True


def test_graceful_stop_has_time(statefulset):
    # The server's drain waits up to 30 s for requests in flight, then stops workers and graders.
    assert statefulset["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 60


def test_resources_are_set(server):
    assert {"cpu", "memory"} <= server["resources"]["requests"].keys()
    assert "memory" in server["resources"]["limits"]


def test_manifest_flags_exist_in_the_binary(server):
    needs_binary()
    serve = help_flags("serve")
    command = server.get("command", []) + server["args"]
    used = {arg for arg in command[command.index("serve"):] if arg.startswith("--")}
    assert used <= serve, f"not `mledojo serve` options: {used - serve}"
    health = help_flags("health")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        used = {arg for arg in server[probe]["exec"]["command"] if arg.startswith("--")}
        assert used <= health, f"{probe}: not `mledojo health` options: {used - health}"


# --- Dockerfile -------------------------------------------------------------------------------


def test_dockerfile_builds_like_the_repository():
    text = DOCKERFILE.read_text()
    stages = re.findall(r"^FROM\s+(\S+)", text, flags=re.M)
    assert stages and all("bookworm" in stage for stage in stages), stages
    assert re.search(r"make setup build-release", text)
    for target in ("setup", "build-release"):
        assert re.search(rf"^{re.escape(target)}:", (REPO / "Makefile").read_text(), flags=re.M)
    # What the StatefulSet relies on: the binary on PATH, tini, the tasks and the runtime in place.
    assert "/usr/bin/tini" in text and "bubblewrap" in text and "util-linux" in text
    assert "/tasks" in text and "/opt/mledojo/.venv" in text and "/opt/mledojo/python" in text
    assert (DEPLOY / "Dockerfile.dockerignore").is_file()


def test_dockerfile_cmd_flags_exist_in_the_binary():
    needs_binary()
    (cmd,) = re.findall(r"^CMD\s+(\[.*\])\s*$", DOCKERFILE.read_text(), flags=re.M)
    cmd = json.loads(cmd)
    assert cmd[:2] == ["mledojo", "serve"]
    used = {arg for arg in cmd if arg.startswith("--")}
    assert used <= help_flags("serve")


# --- Slurm ------------------------------------------------------------------------------------


def slurm_serve_flags():
    """The --options of the script's `serve` invocation (its continued lines up to the `&`)."""
    text = SLURM_SCRIPT.read_text()
    start = text.index('"$server" serve')
    end = text.index("&\n", start)
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text[start:end]))


def test_slurm_script_syntax():
    out = subprocess.run(["bash", "-n", str(SLURM_SCRIPT)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert os.access(SLURM_SCRIPT, os.X_OK)


def test_slurm_script_shellcheck():
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed")
    out = subprocess.run([shellcheck, "-x", str(SLURM_SCRIPT)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_slurm_script_is_an_array_of_servers_with_ready_files():
    text = SLURM_SCRIPT.read_text()
    assert re.search(r"^#SBATCH --array=", text, flags=re.M)
    assert re.search(r"^#SBATCH --signal=B:TERM@\d+", text, flags=re.M)
    assert re.search(r"^trap \S+ TERM", text, flags=re.M)
    flags = slurm_serve_flags()
    assert {"--bind", "--ready-file", "--exit-with-parent", "--db", "--runs", "--tasks"} <= flags
    # $MLEDOJO_SHARED/mledojo-endpoints/<job>-<task>.json (the run below checks the very path)
    assert 'name="$SLURM_ARRAY_JOB_ID-$SLURM_ARRAY_TASK_ID"' in text
    assert 'ready="$endpoints/$name.json"' in text and '/mledojo-endpoints"' in text
    assert re.search(r'--bind "tcp://\$bind_ip:\*"', text)


def test_slurm_flags_exist_in_the_binary():
    needs_binary()
    flags = slurm_serve_flags()
    assert flags <= help_flags("serve"), flags - help_flags("serve")


def start_array_task(tmp_path, job="4242", task="3"):
    """Runs the script as array task `task` of job `job` would, on this machine."""
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    shared = tmp_path / "shared"
    env = dict(os.environ, MLEDOJO_HOME=str(REPO), MLEDOJO_BIN=str(BIN), MLEDOJO_SHARED=str(shared),
               MLEDOJO_TASKS=str(tasks), MLEDOJO_BIND_IP="127.0.0.1", TMPDIR=str(tmp_path / "node"),
               MLEDOJO_SERVE_ARGS="--spare-sessions 0", SLURM_ARRAY_JOB_ID=job, SLURM_ARRAY_TASK_ID=task,
               SLURM_CPUS_PER_TASK="4")
    env.pop("SLURM_TMPDIR", None)
    env.pop("MLEDOJO_STATE_DIR", None)
    (tmp_path / "node").mkdir()
    log = open(tmp_path / "job.out", "w")
    process = subprocess.Popen(["bash", str(SLURM_SCRIPT)], env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    ready = shared / "mledojo-endpoints" / f"{job}-{task}.json"
    deadline = time.monotonic() + 90
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no ready file {ready}; job output:\n{(tmp_path / 'job.out').read_text()}")
        time.sleep(0.2)
    record = json.loads(ready.read_text())
    return process, ready, record, shared


def health(endpoint):
    return subprocess.run([str(BIN), "health", "--endpoint", endpoint, "--timeout", "5"],
                          capture_output=True, text=True, timeout=30)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_gone(pid, seconds=60):
    deadline = time.monotonic() + seconds
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not pid_alive(pid)


def test_slurm_task_serves_and_stops_gracefully_on_sigterm(tmp_path):
    needs_binary()
    process, ready, record, shared = start_array_task(tmp_path)
    try:
        assert re.fullmatch(r"tcp://127\.0\.0\.1:\d+", record["endpoint"]), record
        out = health(record["endpoint"])
        assert out.returncode == 0, out.stdout + out.stderr
        # What Slurm's --signal=B:TERM does: SIGTERM to the batch shell only.
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=90) == 0, (tmp_path / "job.out").read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert wait_gone(record["pid"])
    assert not ready.exists(), "a clean stop removes the ready file"
    kept = shared / "mledojo-databases" / "4242-3" / "db.sqlite"
    assert kept.is_file(), (tmp_path / "job.out").read_text()
    assert not (kept.parent / "db.sqlite.lock").exists()
    assert not (tmp_path / "node" / "mledojo-4242-3").exists()
    assert "stopping the server gracefully" in (tmp_path / "job.out").read_text()


def test_slurm_task_killed_takes_its_server_along(tmp_path):
    needs_binary()
    process, ready, record, _ = start_array_task(tmp_path, task="4")
    try:
        os.kill(process.pid, signal.SIGKILL)  # the batch shell dies without a word
        process.wait(timeout=10)
        assert wait_gone(record["pid"]), "--exit-with-parent: the server ends with the script"
        assert not ready.exists()
    finally:
        if pid_alive(record["pid"]):
            os.kill(record["pid"], signal.SIGKILL)


def test_readme_covers_every_way_to_run():
    text = (DEPLOY / "README.md").read_text()
    for needle in ("mledojo serve", "Ray", "StatefulSet", "mledojo-array.sh", "docker build", "Router",
                   "from_ready_files", "SYS_ADMIN", "privileged"):
        assert needle in text, needle
    for path in manifest_files():
        assert path.name in text, path.name


def test_readme_commands_name_real_files():
    text = (DEPLOY / "README.md").read_text()
    for match in re.findall(r"deploy/[\w./-]+", text):
        path = match.rstrip(".")
        assert (REPO / path).exists(), path
