// The soak of issue 6 (docs/reliability.md, "Soak"): SOAK_MINUTES (default 60) of simulated
// training — the built API and SOAK_AGENTS (4) real agents driving the fake prime-rl on fake GPUs —
// with one agent killed (kill -9) and restarted every SOAK_KILL_EVERY_S (300) seconds. Runs are
// kept coming (SOAK_RUNS_IN_FLIGHT, 4, at a time). Every 30 s the resident memory of the API and of
// each agent is sampled; at the end the memory trend of the second half (after warm-up) is fitted,
// and every succeeded run is checked to hold each step's rollouts exactly once.
// Results: bench-results/soak.json. `npm run soak`; needs `npm run build` first. Not part of CI.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { createBenchDatabase, deletePrefix, REDIS_URL, startBenchApi } from '../bench/bench-api.mjs';
import {
  FAKE_NVIDIA_SMI,
  FAKE_UV,
  fakeGpus,
  killRecordedGroups,
  startAgent,
} from '../bench/agent-bench-support.mjs';
import { mintToken } from '../load/load-tokens.mjs';

const root = new URL('../../', import.meta.url).pathname;
const MINUTES = Number(process.env.SOAK_MINUTES ?? 60);
const AGENTS = Number(process.env.SOAK_AGENTS ?? 4);
const KILL_EVERY_S = Number(process.env.SOAK_KILL_EVERY_S ?? 300);
const IN_FLIGHT = Number(process.env.SOAK_RUNS_IN_FLIGHT ?? 4);
const SAMPLE_EVERY_S = 30;
const STEPS = 8;
const BATCH = 64;

/** Resident memory (MiB) of a process, or null when it is gone. */
function rssMiB(pid) {
  try {
    const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Math.round((kb / 1024) * 10) / 10;
  } catch {
    return null;
  }
}

/** Least-squares slope of y over x (per unit of x). */
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

async function call(api, token, path, body) {
  const response = await fetch(`${api.url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const json = await response.json();
  if (response.status >= 300) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'brier-soak-'));
  const prefix = `soak-${randomBytes(6).toString('hex')}`;
  const database = await createBenchDatabase();
  const api = await startBenchApi(database.url, { BRIER_QUEUE_PREFIX: prefix });
  const agents = [];
  try {
    const admin = await mintToken(database.url, { name: 'soak-admin', role: 'admin' });
    const gpusFile = fakeGpus(work, 2);
    mkdirSync(join(work, 'prime-rl'));
    const agentEnv = async (i) => ({
      API_URL: api.url,
      REDIS_URL,
      BRIER_QUEUE_PREFIX: prefix,
      AGENT_NAME: `soak-agent-${i}`,
      AGENT_API_TOKEN: await mintToken(database.url, {
        name: `soak-agent-${i}`,
        role: 'agent',
        agentName: `soak-agent-${i}`,
      }),
      AGENT_WORK_DIR: join(work, `agent-${i}`),
      UV_BIN: FAKE_UV,
      PRIME_RL_DIR: join(work, 'prime-rl'),
      NVIDIA_SMI_BIN: FAKE_NVIDIA_SMI,
      FAKE_NVIDIA_SMI_STATE: gpusFile,
      FAKE_PRIME_RL_STEP_SECONDS: '2',
    });
    const envs = [];
    for (let i = 0; i < AGENTS; i++) {
      envs.push(await agentEnv(i));
      agents.push(await startAgent(envs[i]));
    }

    const submitted = new Set();
    const samples = [];
    const kills = [];
    const started = Date.now();
    const endAt = started + MINUTES * 60_000;
    let nextKill = started + KILL_EVERY_S * 1000;
    let nextSample = started;
    let killed = 0;
    while (Date.now() < endAt) {
      const active = await call(api, admin, '/v1/runs?status=queued,running&kind=train&limit=100');
      for (let i = active.items.length; i < IN_FLIGHT; i++) {
        const run = await call(api, admin, '/v1/runs', {
          preset: 'smoke-tiny',
          name: `soak ${submitted.size}`,
          spec: { maxSteps: STEPS, batchSize: BATCH },
        });
        submitted.add(run.id);
      }
      if (Date.now() >= nextKill) {
        const victim = killed++ % AGENTS;
        process.kill(agents[victim].pid, 'SIGKILL');
        kills.push({ at: Math.round((Date.now() - started) / 1000), agent: victim });
        // A restarted incarnation kills its predecessor's leftovers itself; these are the ones
        // of a host that would not come back.
        await sleep(1000);
        agents[victim] = await startAgent(envs[victim]);
        nextKill += KILL_EVERY_S * 1000;
      }
      if (Date.now() >= nextSample) {
        samples.push({
          atS: Math.round((Date.now() - started) / 1000),
          apiMiB: rssMiB(api.pid),
          agentsMiB: agents.map((agent) => rssMiB(agent.pid)),
        });
        nextSample += SAMPLE_EVERY_S * 1000;
      }
      await sleep(2000);
    }

    // Exactly once: every succeeded run has STEPS steps of BATCH rollouts.
    const outcome = { succeeded: 0, failed: 0, other: 0, badSteps: [], firstFailures: [] };
    for (const id of submitted) {
      const run = await call(api, admin, `/v1/runs/${id}`);
      if (run.status === 'succeeded') {
        outcome.succeeded++;
        const steps = await call(api, admin, `/v1/runs/${id}/metrics`);
        const wrong = steps.filter((s) => s.n !== BATCH);
        if (steps.length !== STEPS || wrong.length > 0)
          outcome.badSteps.push({ id, steps: steps.length, wrong });
      } else if (run.status === 'failed') {
        outcome.failed++;
        if (outcome.firstFailures.length < 3) outcome.firstFailures.push({ id, error: run.error });
      } else outcome.other++;
    }
    const later = samples.filter((s) => s.atS >= (MINUTES * 60) / 2);
    const perHour = (pick) => Math.round(slope(later.map((s) => [s.atS / 3600, pick(s)])) * 10) / 10;
    const result = {
      name: 'soak',
      when: new Date().toISOString(),
      setup: {
        minutes: MINUTES,
        agents: AGENTS,
        killEverySeconds: KILL_EVERY_S,
        runsInFlight: IN_FLIGHT,
        steps: STEPS,
        batch: BATCH,
      },
      runs: { submitted: submitted.size, ...outcome },
      kills,
      memory: {
        apiMiBPerHour: perHour((s) => s.apiMiB ?? 0),
        agentsMiBPerHour: Array.from({ length: AGENTS }, (_, i) => perHour((s) => s.agentsMiB[i] ?? 0)),
        first: samples[0],
        last: samples.at(-1),
      },
      samples,
    };
    mkdirSync(join(root, 'bench-results'), { recursive: true });
    writeFileSync(join(root, 'bench-results/soak.json'), `${JSON.stringify(result, null, 2)}\n`);
    const { samples: _omitted, ...summary } = result;
    console.log(JSON.stringify(summary, null, 2));
    if (outcome.badSteps.length > 0) process.exitCode = 1;
  } finally {
    for (const agent of agents) await agent.stop().catch(() => undefined);
    for (let i = 0; i < AGENTS; i++) killRecordedGroups(join(work, `agent-${i}`, 'state', 'process-groups'));
    await api.stop();
    await deletePrefix(prefix);
    await database.drop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
