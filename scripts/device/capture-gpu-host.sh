#!/usr/bin/env bash
# On a GPU host: record what the real nvidia-smi prints for every call the agent makes (and the
# error cases the fake nvidia-smi imitates), idle and with a CUDA process holding memory, then run
# the agent's own GPU code against it (gpu-probe.mjs). See scripts/device/README.md.
#
#   scripts/device/capture-gpu-host.sh OUT_DIR
# Writes OUT_DIR/captures.tar.gz (one stdout/stderr pair per call, manifest.tsv: name, exit code,
# arguments), OUT_DIR/probe.json and OUT_DIR/timings.tsv. Needs nvidia-smi and python3 with torch
# (the process that holds the GPU); node from PATH, or the one pack.sh put in .device/.
set -euo pipefail

out=${1:?usage: capture-gpu-host.sh OUT_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
captures="$work/captures"
mkdir -p "$captures" "$out"
holder_pid=

cleanup() {
  if [[ -n $holder_pid ]]; then kill -KILL -- "-$holder_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

node_bin=$(command -v node || true)
if [[ -z $node_bin ]]; then
  xz -dc "$root/.device/node.xz" >"$work/node"
  chmod +x "$work/node"
  node_bin="$work/node"
fi
probe="$root/.device/gpu-probe.bundle.mjs"
[[ -f $probe ]] || probe="$root/scripts/device/gpu-probe.mjs"

# capture NAME ARG... : stdout and stderr byte for byte, the exit code in the manifest.
capture() {
  local name=$1
  shift
  local code=0
  nvidia-smi "$@" >"$captures/$name.stdout" 2>"$captures/$name.stderr" || code=$?
  printf '%s\t%s\t%s\n' "$name" "$code" "$*" >>"$captures/manifest.tsv"
}

GPU_QUERY=--query-gpu=index,uuid,name,memory.total,memory.used,driver_version
APPS_QUERY=--query-compute-apps=pid,gpu_uuid,used_memory
CSV=--format=csv,noheader,nounits

# timing NAME ARG... : 20 calls from bash, per call: wall, user and system seconds (children).
timing() {
  local name=$1
  shift
  local t
  t=$( { TIMEFORMAT='%R %U %S'; time (for _ in $(seq 20); do nvidia-smi "$@" >/dev/null; done); } 2>&1 )
  read -r real user sys <<<"$t"
  awk -v n="$name" -v r="$real" -v u="$user" -v s="$sys" \
    'BEGIN { printf "%s\t%.2f\t%.2f\t%.2f\n", n, r * 50, u * 50, s * 50 }' >>"$out/timings.tsv"
}
printf 'call\twall_ms\tuser_ms\tsys_ms\n' >"$out/timings.tsv"

# reader NAME : the agent's NVML reader (apps/gpu-agent/nvml) on this python3, two reads (with and
# without processes), its lines in NAME.nvml.jsonl; skipped where python3 has no nvidia-ml-py.
reader() {
  if ! python3 -c 'import pynvml' 2>/dev/null; then
    echo "python3 cannot import pynvml: $1 not captured" >&2
    return 0
  fi
  local code=0
  printf '{"id": 1, "processes": true}\n{"id": 2, "processes": false}\n' |
    python3 "$root/apps/gpu-agent/nvml/nvml_reader.py" >"$captures/$1.nvml.jsonl" 2>"$captures/$1.nvml.stderr" ||
    code=$?
  printf '%s\t%s\t%s\n' "$1" "$code" "nvml_reader.py" >>"$captures/manifest.tsv"
}

capture version --version
capture list -L
capture summary-idle
capture gpus-idle "$GPU_QUERY" "$CSV"
capture gpus-idle-header "$GPU_QUERY" --format=csv
capture apps-idle "$APPS_QUERY" "$CSV"
capture apps-idle-header "$APPS_QUERY" --format=csv
capture persistence --query-gpu=persistence_mode,pstate --format=csv
capture query-full -q
capture help-query-compute-apps --help-query-compute-apps
capture error-unknown-gpu-field --query-gpu=index,no_such_field --format=csv
capture error-unknown-app-field --query-compute-apps=pid,no_such_field --format=csv
capture query-without-format "$GPU_QUERY"
capture error-unknown-flag --no-such-flag
capture error-no-such-gpu -i 7 "$GPU_QUERY" "$CSV"
reader nvml-idle
timing gpus-idle "$GPU_QUERY" "$CSV"
timing apps-idle "$APPS_QUERY" "$CSV"
timing summary-idle

# A CUDA process in its own session and process group holding 2 GiB, like a run's vLLM would.
ready="$work/holder.ready"
setsid python3 -c '
import os, sys, time, torch
held = torch.empty(2 << 30, dtype=torch.uint8, device="cuda")
torch.cuda.synchronize()
open(sys.argv[1], "w").write(f"{os.getpid()} {os.getpgrp()}\n")
time.sleep(600)
' "$ready" &
holder_pid=$!
for _ in $(seq 120); do [[ -s $ready ]] && break; sleep 0.5; done
[[ -s $ready ]] || { echo "the CUDA holder did not start within 60 s" >&2; exit 1; }
read -r pid pgid <"$ready"
printf 'holder\t%s\t%s\n' "$pid" "$pgid" >>"$captures/manifest.tsv"
holder_pid=$pgid
sleep 1 # nvidia-smi lists a context a moment after it is made

capture summary-busy
capture gpus-busy "$GPU_QUERY" "$CSV"
capture apps-busy "$APPS_QUERY" "$CSV"
capture apps-busy-header "$APPS_QUERY,process_name,used_gpu_memory" --format=csv
capture pids-busy -q -d PIDS
reader nvml-busy
timing gpus-busy "$GPU_QUERY" "$CSV"
timing apps-busy "$APPS_QUERY" "$CSV"

"$node_bin" "$probe" --holder-pgid "$pgid" --samples 30 >"$out/probe.json"

kill -KILL -- "-$holder_pid"
wait "$holder_pid" 2>/dev/null || true
holder_pid=
sleep 1
capture apps-after "$APPS_QUERY" "$CSV"

tar -czf "$out/captures.tar.gz" -C "$work" captures
echo "captured $(wc -l <"$captures/manifest.tsv") calls; timings:"
cat "$out/timings.tsv"
