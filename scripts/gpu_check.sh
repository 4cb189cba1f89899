#!/usr/bin/env bash
# Every GPU test and GPU benchmark, on a machine with a CUDA device, in well under 8 minutes.
#
#   bash scripts/gpu_check.sh            # from the repository root, in an environment where
#                                        # `pip install -e ".[gpu,test]"` has been run
#
# It prints the device, compiles every .cu with nvcc (when present), runs tests marked `gpu`
# (GPU vs CPU kernels: bit-identical counts in single precision) and the GPU benchmarks.
# Exits non-zero if a GPU test fails or skips.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0

python - <<'PY' || exit 1
from dsp.backend import gpu_unavailable_reason
r = gpu_unavailable_reason()
if r:
    raise SystemExit(f"gpu_check: no usable GPU: {r}")
import cupy
p = cupy.cuda.runtime.getDeviceProperties(0)
print("gpu_check: device", p["name"].decode(), "| CuPy", cupy.__version__, "| CUDA runtime", cupy.cuda.runtime.runtimeGetVersion())
PY

if command -v nvcc >/dev/null 2>&1; then
  for f in kernels/cuda/*.cu; do
    timeout 180 nvcc -std=c++17 -arch=sm_90 --fmad=false -I kernels/common -ptx "$f" -o /dev/null \
      && echo "gpu_check: nvcc ok $f" || { echo "gpu_check: nvcc FAILED $f"; status=1; }
  done
fi

timeout 150 python -m pytest tests -m gpu -q -rs -p no:cacheprovider 2>&1 | tee /tmp/gpu_check_tests.txt
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
grep -q "skipped" /tmp/gpu_check_tests.txt && { echo "gpu_check: some GPU tests skipped"; status=1; }

# GPU benchmarks only (the CPU figures are in the README; with every CPU benchmark the script
# would outgrow its time budget).
timeout 300 python -m pytest benchmarks --benchmark-only -m gpu -q -s -p no:cacheprovider \
  --benchmark-columns=min,median,rounds 2>&1 | grep -E "[MG] ?(bit|symbol|sample|b)s?/s|passed|failed|Error"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
exit $status
