#!/usr/bin/env bash
# One prepared check for a GPU machine (CUDA toolkit, no Node needed), from the repo root:
#   bash kernels/scripts/gpu-check.sh
# Configures and builds the native tests for sm_90 (override: HLP_CUDA_ARCHITECTURES=...),
# runs the test binary (CUDA vs CPU: RNS NTT, eltwise, CKKS encryption bit-identity, pool,
# loader), then the GPU benchmarks (--bench-gpu: NTT throughput N=8192/16384 x batch
# 192/1024 against the best CPU variant; the GPT-2 prompt encryption, 192 ciphertexts at
# N=8192, primes {60,40,40,60}; device pool efficiency). Everything goes to $OUT if set,
# else ./gpu-out. Exit status: non-zero if the build or any check failed.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kernels="$(dirname "$here")"
out="${OUT:-$PWD/gpu-out}"
build="${HLP_GPU_BUILD:-$kernels/build/gpu-native}"
arch="${HLP_CUDA_ARCHITECTURES:-90}"
mkdir -p "$out"
log() { printf '[gpu-check] %s\n' "$*" | tee -a "$out/summary.txt"; }
: > "$out/summary.txt"
log "started $(date -u +%FT%TZ); out=$out build=$build arch=sm_$arch"
{ nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv 2>&1 || true; nvcc --version 2>&1 | tail -2; } > "$out/device.txt"
cat "$out/device.txt" | tee -a "$out/summary.txt"

jobs="$(nproc 2>/dev/null || echo 4)"
if ! cmake -S "$kernels" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHLP_CUDA_ARCHITECTURES="$arch" > "$out/configure.log" 2>&1; then
  log "FAIL configure (see configure.log)"; tail -20 "$out/configure.log"; exit 2
fi
grep -q "CUDA variant enabled" "$out/configure.log" || { log "FAIL nvcc not found by CMake"; exit 2; }
if ! timeout 240 cmake --build "$build" --parallel "$jobs" > "$out/build.log" 2>&1; then
  log "FAIL build (see build.log)"; tail -30 "$out/build.log"; exit 2
fi
cuobjdump --list-elf "$build/libhlp_cuda.so" > "$out/elf.txt" 2>&1 || true
export HLP_CUDA_LIB="$build/libhlp_cuda.so"
status=0
log "tests: hlp_kernels_tests --quick"
timeout 150 "$build/hlp_kernels_tests" --quick > "$out/tests.txt" 2>&1 || status=1
grep -E "^(FAIL|skip|note)|hlp_kernels_tests:" "$out/tests.txt" | tee -a "$out/summary.txt"
log "benchmarks: hlp_kernels_tests --bench-gpu"
timeout 150 "$build/hlp_kernels_tests" --filter none --bench-gpu > "$out/bench-gpu.txt" 2>&1 || status=1
sed -n '/== GPU benchmark ==/,$p' "$out/bench-gpu.txt" | tee -a "$out/summary.txt"
if grep -q "skip: no usable cuda" "$out/bench-gpu.txt"; then
  log "FAIL the cuda variant is not usable on this machine (see the reason above)"; status=1
fi
log "done, status $status"
exit $status
