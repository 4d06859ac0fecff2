#!/usr/bin/env bash
# Idempotent setup of the Ray cluster test's virtual environment .venv-ray (python/requirements-ray.txt),
# apart from .venv. The test imports the client package from clients/python/src (the checkout's code) and
# hands that path to Ray's workers. Re-made only when the requirements change.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-ray
requirements=python/requirements-ray.txt
stamp="$venv/.requirements-ray.sha256"
want=$( (cat "$requirements" clients/python/pyproject.toml) | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  started=$SECONDS
  echo "setup_ray: creating $venv from /usr/bin/python3 with $requirements"
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
  PYTHONPATH=clients/python/src "$venv/bin/python" -c 'import ray, mledojo_client.ray_fleet'
  echo "$want" > "$stamp"
  echo "setup_ray: $venv ready in $((SECONDS - started)) s"
fi
