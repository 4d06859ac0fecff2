#!/usr/bin/env bash
# Idempotent setup: Debian packages, then a Python virtual environment with pinned packages.
# The venv is made from Debian's /usr/bin/python3 (not a pyenv build under /root, which a sandboxed
# uid cannot read) and left world-readable, so agent code inside bubblewrap can use it.
set -euo pipefail
cd "$(dirname "$0")/.."
# MLEDOJO_PROFILE=gpu (opt-in) also installs python/requirements-gpu.txt (torch); see the end.
profile="${MLEDOJO_PROFILE:-default}"
case "$profile" in
  default|gpu) ;;
  *) echo "setup: unknown MLEDOJO_PROFILE=$profile (default|gpu)" >&2; exit 2 ;;
esac

# g++ builds llama-cpp-python for the real-model test (scripts/setup_llm.sh, run by make test).
packages=(libzmq3-dev libcurl4-openssl-dev libsqlite3-dev libseccomp-dev bubblewrap python3-venv python3-dev pkg-config g++)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

venv=.venv
stamp="$venv/.requirements.sha256"
want=$(sha256sum python/requirements.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: creating $venv from /usr/bin/python3 with python/requirements.txt"
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r python/requirements.txt
  echo "$want" > "$stamp"
fi
# The GPU profile adds torch on top, once per content of python/requirements-gpu.txt (a rebuilt venv
# gets it again); the default profile neither installs nor removes it.
if [ "$profile" = gpu ]; then
  gpu_stamp="$venv/.requirements-gpu.sha256"
  gpu_want=$(sha256sum python/requirements-gpu.txt | cut -d' ' -f1)
  if [ "$(cat "$gpu_stamp" 2>/dev/null)" != "$gpu_want" ]; then
    echo "setup: installing the GPU profile (python/requirements-gpu.txt) into $venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r python/requirements-gpu.txt
    echo "$gpu_want" > "$gpu_stamp"
  fi
fi
chmod -R a+rX "$venv"
if [ "$profile" = gpu ]; then
  echo "setup: ok (Debian packages present, $venv ready, GPU profile)"
else
  echo "setup: ok (Debian packages present, $venv ready)"
fi
