#!/usr/bin/env bash
# Makes .device/ for a GPU host that has no node_modules (and perhaps no node): gpu-probe.mjs
# bundled with its dependencies, and this machine's node binary, xz-compressed. Run after
# `npm run build`; .device/ is ignored by git.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$root/.device"
(cd "$root" && npx rolldown scripts/device/gpu-probe.mjs --file .device/gpu-probe.bundle.mjs \
  --format esm --platform node --logLevel warn)
xz -T0 -6 -c "$(command -v node)" >"$root/.device/node.xz"
ls -l "$root/.device"
