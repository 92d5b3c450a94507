#!/usr/bin/env bash
# The GPU check (benchmarks/gpu_check.py), sized for 8 minutes on one H100/H200; writes benchmarks/results/gpu_check-*.json.
#
#   benchmarks/gpu_check.sh wheels     # HERE, once: download the wheels the device lacks into .whl/ (git-ignored)
#   benchmarks/gpu_check.sh            # THERE (device run, carry .whl): install .whl with --no-index, then the check
#   benchmarks/gpu_check.sh --dry-run  # anywhere: the CPU fallback (tiny preset, a few steps)
#
# The device image has CUDA torch, transformers, pyarrow and tqdm but not pydantic (the configs), hydra-core,
# omegaconf, antlr4 or ray; the check imports pydantic only (no Hydra app, no Ray), the rest travel for the CLI.
# A device call: run(command="benchmarks/gpu_check.sh 2>&1 | tee $OUT/gpu_check.log; cp benchmarks/results/gpu_check-*.json $OUT/",
#                     carry=[".whl"], timeout_s=560)
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=(pydantic==2.14.4 pydantic-core==2.50.5 typing-inspection==0.4.5 annotated-types==0.8.0
        hydra-core==1.3.8 omegaconf==2.3.1 antlr4-python3-runtime==4.9.3)

if [[ "${1:-}" == "wheels" ]]; then
  grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo /.whl/ >> "$(git rev-parse --git-common-dir)/info/exclude"
  mkdir -p .whl
  for w in "${WHEELS[@]}"; do
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl "$w" \
      || python3 -m pip download -q --no-deps -d .whl "$w"   # pure-Python sdists (antlr4 runtime) become wheels below
  done
  (cd .whl && for sd in *.tar.gz; do [[ -e "$sd" ]] && python3 -m pip wheel -q --no-deps -w . "$sd" && rm "$sd"; done; true)
  ls -l .whl
  exit 0
fi

PY=${PYTHON:-python3}
if [[ -d .whl ]] && ! "$PY" -c 'import pydantic' 2>/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1
if [[ "${1:-}" != "--dry-run" ]]; then
  nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv || true
fi
exec timeout 470 "$PY" benchmarks/gpu_check.py "$@"
