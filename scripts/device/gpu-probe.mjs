// The agent's GPU code against a real nvidia-smi, on a GPU host: the inventory it would register,
// how placement sees a GPU held by a process in a given process group (the agent's own run, or a
// stranger's), and how long each nvidia-smi call takes through the agent's own NvidiaSmi class.
// Prints one JSON document. Run it from the built tree (npm run build) or from the bundle that
// scripts/device/pack.sh makes for a host without node_modules.
//
//   node scripts/device/gpu-probe.mjs [--holder-pgid N] [--samples N]
import { parseArgs } from 'node:util';

import { gpuAvailability } from '../../apps/gpu-agent/dist/gpus/free-gpus.js';
import { NvidiaSmi } from '../../apps/gpu-agent/dist/gpus/nvidia-smi.repository.js';
import { pidsInProcessGroups } from '../../apps/gpu-agent/dist/runs/process-group-pids.js';

const { values } = parseArgs({
  options: {
    'holder-pgid': { type: 'string' },
    samples: { type: 'string', default: '30' },
  },
});
const samples = Number(values.samples);
const holderPgid = values['holder-pgid'] === undefined ? null : Number(values['holder-pgid']);

/** Milliseconds of each call, after one call not counted (the first fork warms the page cache). */
async function timeCalls(call) {
  await call();
  const ms = [];
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint();
    await call();
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const at = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
  return { samples, p50: at(0.5), p95: at(0.95), min: ms[0], max: ms[ms.length - 1] };
}

const smi = new NvidiaSmi();
const startedAt = new Date().toISOString();
// A new instance each time, so the summary table (CUDA version) is read too: registration's cost.
const registration = await timeCalls(() => new NvidiaSmi().inventory());
const inventory = await smi.inventory();
const heartbeat = await timeCalls(() => smi.inventory({ processes: false }));
const placement = await timeCalls(() => smi.computeApps());

let holder = null;
if (holderPgid !== null) {
  const ownPids = await pidsInProcessGroups([holderPgid]);
  holder = {
    pgid: holderPgid,
    pidsInGroup: ownPids,
    asOwnRun: gpuAvailability(inventory, [], ownPids).map(({ gpu, state, foreignPids }) => ({
      index: gpu.index,
      state,
      foreignPids,
    })),
    asStranger: gpuAvailability(inventory, [], []).map(({ gpu, state, foreignPids }) => ({
      index: gpu.index,
      state,
      foreignPids,
    })),
    processScanMs: await timeCalls(() => pidsInProcessGroups([holderPgid])),
  };
}

process.stdout.write(
  `${JSON.stringify(
    {
      startedAt,
      node: process.version,
      inventory,
      holder,
      timingsMs: { registration, heartbeat, placement },
    },
    null,
    2,
  )}\n`,
);
