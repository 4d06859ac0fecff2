#!/bin/bash
# One mledojo server per array task, each on its own node, each publishing its endpoint as a ready
# file in a shared folder that clients read (Router.from_ready_files(folder) in the Python client).
#
#   export MLEDOJO_HOME=/shared/mledojo        # a checkout on shared storage, after `make prepare build-release`
#   export MLEDOJO_SHARED=/shared/$USER         # shared storage every node and every client sees
#   sbatch --array=0-7 deploy/slurm/mledojo-array.sh
#   # clients: Router.from_ready_files("$MLEDOJO_SHARED/mledojo-endpoints")
#
# Each task's server binds tcp://<node IP>:* (a free port) and writes
#   $MLEDOJO_SHARED/mledojo-endpoints/$SLURM_ARRAY_JOB_ID-$SLURM_ARRAY_TASK_ID.json
# ({"endpoint", "admin_endpoint", "pid", "instance"}) once it serves; the server removes it at a
# clean stop. --exit-with-parent ends the server when this script's shell ends, however it ends.
#
# Settings (environment, all optional but MLEDOJO_HOME):
#   MLEDOJO_HOME       the checkout (its .build/release/mledojo, .venv, python/, tasks/)
#   MLEDOJO_SHARED     shared folder for the ready files and the database copies (default: the
#                      submission folder)
#   MLEDOJO_TASKS      the tasks folder (default: $MLEDOJO_HOME/tasks)
#   MLEDOJO_STATE_DIR  where this task's database and runs live (default: node-local,
#                      ${SLURM_TMPDIR:-${TMPDIR:-/tmp}}/mledojo-<job>-<task>); on shared storage the
#                      sessions survive a requeue onto another node, but SQLite there is only as
#                      safe as the file system's locking (fine on Lustre/GPFS with flock, not on NFS)
#   MLEDOJO_BIND_IP    the address to bind (default: the node's address on its default route)
#   MLEDOJO_SERVE_ARGS more `mledojo serve` options, e.g. "--memory-mb 8192 --spare-sessions 0"
#   MLEDOJO_KEEP_STATE 1: leave the node-local state folder (workspaces, logs) after the job
#
# Bubblewrap: a job runs as you, not root, so the server runs bubblewrap in a user namespace
# (the compute nodes must allow unprivileged user namespaces: `srun mledojo doctor` says) and
# launches each session's worker through bubblewrap (the fork server needs a root server).
#
#SBATCH --job-name=mledojo
#SBATCH --array=0-3
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=16
#SBATCH --mem=64G
#SBATCH --time=24:00:00
# SIGTERM to this shell (B:) 5 minutes before the time limit: the trap below stops the server
# gracefully (it drains its runs, at most 30 s) and keeps its database.
#SBATCH --signal=B:TERM@300
#SBATCH --output=mledojo-%A_%a.out
# One server per node (no other job beside it), if your site allows it:
##SBATCH --exclusive

set -euo pipefail

: "${MLEDOJO_HOME:?set MLEDOJO_HOME to the mledojo checkout (after make prepare build-release)}"
: "${SLURM_ARRAY_JOB_ID:?submit with sbatch --array}"
: "${SLURM_ARRAY_TASK_ID:?submit with sbatch --array}"
shared="${MLEDOJO_SHARED:-${SLURM_SUBMIT_DIR:-$PWD}}"
tasks="${MLEDOJO_TASKS:-$MLEDOJO_HOME/tasks}"
name="$SLURM_ARRAY_JOB_ID-$SLURM_ARRAY_TASK_ID"
state="${MLEDOJO_STATE_DIR:-${SLURM_TMPDIR:-${TMPDIR:-/tmp}}/mledojo-$name}"
endpoints="$shared/mledojo-endpoints"
ready="$endpoints/$name.json"
server="${MLEDOJO_BIN:-$MLEDOJO_HOME/.build/release/mledojo}"

node_ip() {
  if [ -n "${MLEDOJO_BIND_IP:-}" ]; then
    echo "$MLEDOJO_BIND_IP"
    return
  fi
  local ip=""
  # The source address the kernel would use for outside traffic: the node's cluster-facing address.
  if command -v ip >/dev/null 2>&1; then
    ip=$(ip -4 -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
  fi
  if [ -z "$ip" ]; then
    ip=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -v '^127\.' | head -n 1 || true)
  fi
  if [ -z "$ip" ]; then
    echo "mledojo-array: cannot find this node's IP address; set MLEDOJO_BIND_IP" >&2
    exit 2
  fi
  echo "$ip"
}

bind_ip=$(node_ip)
# The database's folder holds the admin socket, so it may not be world-writable: 0700.
mkdir -p "$endpoints"
mkdir -p "$state/runs"
chmod 700 "$state" "$state/runs"
# Absolute paths: the server runs from $MLEDOJO_HOME.
shared=$(cd "$shared" && pwd)
state=$(cd "$state" && pwd)
tasks=$(cd "$tasks" && pwd)
endpoints="$shared/mledojo-endpoints"
ready="$endpoints/$name.json"

# Runs at once: one per two CPUs of the allocation, at least one.
cpus="${SLURM_CPUS_PER_TASK:-$(nproc)}"
runs_at_once=$(( cpus / 2 > 0 ? cpus / 2 : 1 ))

# `cd` so the server's relative defaults (--venv .venv, --runtime python) are the checkout's.
cd "$MLEDOJO_HOME"
read -r -a extra <<< "${MLEDOJO_SERVE_ARGS:-}"
"$server" serve \
  --bind "tcp://$bind_ip:*" \
  --ready-file "$ready" \
  --exit-with-parent \
  --db "$state/db.sqlite" \
  --runs "$state/runs" \
  --tasks "$tasks" \
  --max-concurrent-runs "$runs_at_once" \
  ${extra[@]+"${extra[@]}"} &
server_pid=$!
echo "mledojo-array: task $name on $(hostname): server pid $server_pid, state $state, ready file $ready"

stopping=0
# shellcheck disable=SC2329  # invoked by the trap below
stop_server() {
  # scancel, preemption or --signal before the time limit: a graceful stop, then wait for it.
  stopping=1
  echo "mledojo-array: SIGTERM: stopping the server gracefully"
  kill -TERM "$server_pid" 2>/dev/null || true
}
trap stop_server TERM INT

# `wait` returns early (status > 128) when a trapped signal arrives: wait again while the server runs.
status=0
while :; do
  if wait "$server_pid"; then status=0; else status=$?; fi
  if [ "$status" -le 128 ] || ! kill -0 "$server_pid" 2>/dev/null; then
    break
  fi
done
if [ "$status" -gt 128 ]; then
  # Interrupted, and the server ended meanwhile: collect its own exit status (127: already collected).
  if wait "$server_pid" 2>/dev/null; then status=0; else last=$?; [ "$last" -eq 127 ] || status=$last; fi
fi
trap - TERM INT

# A clean stop removes the ready file; one that remains names a server that is gone.
rm -f "$ready"
# Node-local state disappears with the job (or should): keep a copy of the database (every
# session's steps) beside the ready files, then remove the node-local folder unless
# MLEDOJO_KEEP_STATE=1. The server has stopped, so the files are consistent.
if [ -z "${MLEDOJO_STATE_DIR:-}" ] && [ -f "$state/db.sqlite" ]; then
  keep="$shared/mledojo-databases/$name"
  mkdir -p "$keep"
  # The database and its write-ahead log if one is left (not the lock file).
  if cp -p "$state/db.sqlite" "$keep/" && { [ ! -f "$state/db.sqlite-wal" ] || cp -p "$state/db.sqlite-wal" "$keep/"; }; then
    echo "mledojo-array: database kept in $keep"
    [ "${MLEDOJO_KEEP_STATE:-0}" = 1 ] || rm -rf "$state"
  else
    echo "mledojo-array: could not copy the database to $keep; left in $state on $(hostname)" >&2
  fi
fi
if [ "$stopping" = 1 ] && [ "$status" -ne 0 ]; then
  echo "mledojo-array: server exited with status $status after SIGTERM"
fi
exit "$status"
