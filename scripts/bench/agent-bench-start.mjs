// Submit → process started, for the agent benchmark: tiny runs one after another, the agent idle
// before each. t0 is taken just before POST /v1/runs, t1 is the fake prime-rl leader's start time
// (the ledger's startTicks: clock ticks after boot). The stages between them come from timestamps
// the system keeps anyway: the BullMQ job's timestamp (the API added it) and processedOn (the
// agent's worker took it), the claim transaction's now() (run_attempts.started_at), the birth
// time of the attempt's stdout.log (the agent opens it just before the spawn) and the ledger's
// startedAt (written after the spawn).
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

import { Redis } from 'ioredis';
import pg from 'pg';

import { REDIS_URL } from './bench-api.mjs';
import {
  CLOCK_TICKS,
  readLedger,
  submitRun,
  summarize,
  until,
  untilRun,
  wallNow,
} from './agent-bench-support.mjs';

const root = new URL('../../', import.meta.url).pathname;
const QUEUE_NAME = 'brier-runs'; // QUEUES.runs in @brier/contracts
const HAND_BACK_MS = 1_000; // a job taken this long after it was added went back to the queue first
export const TINY_SPEC = { maxSteps: 1, batchSize: 8, rolloutsPerExample: 8 };

/** `runs` tiny runs, one at a time; `idleMs` of quiet before each. */
export async function measureSubmitToStart({
  apiUrl,
  db,
  agent,
  agentDir,
  prefix,
  clock,
  runs,
  idleMs,
  name,
}) {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const samples = [];
  try {
    for (let i = 0; i < runs; i++) {
      await sleep(idleMs);
      const t0 = wallNow();
      const { id } = await submitRun(apiUrl, `${name}-${i}`, TINY_SPEC);
      const answered = wallNow();
      // The entry lives as long as the process (about a second here): polled every 5 ms.
      const ledger = await until(() => readLedger(agentDir, id), {
        timeoutMs: 30_000,
        intervalMs: 5,
        what: `ledger entry of run ${id}`,
      });
      const stdoutLog = statSync(join(agentDir, 'runs', id, 'attempt-1', 'stdout.log'));
      await untilRun(apiUrl, id, (view) => view.status === 'succeeded', {
        timeoutMs: 60_000,
        what: 'success',
        agent,
      });
      const [timestamp, processedOn] = await redis.hmget(
        `${prefix}:${QUEUE_NAME}:run-${id}`,
        'timestamp',
        'processedOn',
      );
      const { rows } = await client.query(
        `SELECT extract(epoch FROM started_at)::float8 * 1000 AS claimed
         FROM run_attempts WHERE run_id = $1 AND number = 1`,
        [id],
      );
      samples.push({
        t0,
        answered,
        jobAdded: Number(timestamp),
        jobTaken: Number(processedOn),
        claimed: rows[0].claimed,
        spawnBegins: stdoutLog.birthtimeMs || null,
        // The leader began somewhere in this tick: its middle.
        processStarted: clock.ticksToWallMs(ledger.startTicks) + 500 / CLOCK_TICKS,
        ledgerWritten: Date.parse(ledger.startedAt),
      });
    }
  } finally {
    redis.disconnect();
    await client.end();
  }
  const span = (from, to) => samples.filter((s) => s[from] && s[to]).map((s) => s[to] - s[from]);
  return {
    n: samples.length,
    total: summarize(span('t0', 'processStarted')),
    // Consecutive stages (medians do not add up exactly to the total's).
    stages: {
      postAnswered: summarize(span('t0', 'answered')),
      submitToJobAdded: summarize(span('t0', 'jobAdded')),
      jobAddedToTaken: summarize(span('jobAdded', 'jobTaken')),
      takenToClaimTransaction: summarize(span('jobTaken', 'claimed')),
      claimToSpawnBegins: summarize(span('claimed', 'spawnBegins')),
      spawnBeginsToProcessStarted: summarize(span('spawnBegins', 'processStarted')),
      processStartedToLedgerWritten: summarize(span('processStarted', 'ledgerWritten')),
    },
    handBacks: span('jobAdded', 'jobTaken').filter((ms) => ms > HAND_BACK_MS).length,
  };
}

export const START_RESOLUTION =
  `process start: /proc startTicks at ${CLOCK_TICKS} Hz, taken as the tick's middle (±${500 / CLOCK_TICKS} ms); ` +
  'spawn begins: birth time of the attempt stdout.log (the kernel coarse clock, a few ms); ' +
  'BullMQ timestamps: ms; claim: now() of the claim transaction (when it began)';

/**
 * The agent's GPU reads through apps/gpu-agent/dist's NvidiaSmi, timed on their own in a process
 * with the agent's environment (a Node start is slower with more of it, e.g. NODE_EXTRA_CA_CERTS):
 * `inventory` (after the first: the GPU query, then the compute apps; the summary table is read
 * once) or `computeApps` (placement's one call on the path from a job to its process).
 */
export function nvidiaSmiCallMs(binary, gpusFile, { call = 'inventory', times = 10 } = {}) {
  const module = pathToFileURL(join(root, 'apps/gpu-agent/dist/gpus/nvidia-smi.repository.js')).href;
  const script = `
    const { NvidiaSmi } = await import(${JSON.stringify(module)});
    const smi = new NvidiaSmi({ binary: ${JSON.stringify(binary)} });
    const ms = [];
    for (let i = 0; i < ${times}; i++) {
      const started = performance.now();
      await smi.${call}();
      ms.push(performance.now() - started);
    }
    console.log(JSON.stringify(ms));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', FAKE_NVIDIA_SMI_STATE: gpusFile },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return summarize(JSON.parse(output));
}

/**
 * Placement's read through the agent's NVML reader (apps/gpu-agent/dist), started as the agent
 * starts it (`uv run --no-sync python nvml_reader.py` in the prime-rl checkout): the round trip of
 * one inventory with its processes, the reader already running. Here the fake pynvml answers, which
 * re-reads the state file on each call; NVML itself took 0.035 ms a read on the H100.
 */
export async function nvmlReadMs(uv, primeRlDir, gpusFile, { times = 50 } = {}) {
  const { NvmlReader } = await import(
    pathToFileURL(join(root, 'apps/gpu-agent/dist/gpus/nvml-reader.js')).href
  );
  const { nvmlReaderCommand } = await import(
    pathToFileURL(join(root, 'apps/gpu-agent/dist/gpus/nvml-reader-command.js')).href
  );
  // The agent's own command for these settings, on the fake host's state file.
  const agentCommand = nvmlReaderCommand({ UV_BIN: uv, PRIME_RL_DIR: primeRlDir });
  const command = { ...agentCommand, env: { ...agentCommand.env, FAKE_NVIDIA_SMI_STATE: gpusFile } };
  const started = await NvmlReader.start(command, 30_000);
  if (started.kind !== 'ready') throw new Error(`the NVML reader did not start: ${started.reason}`);
  try {
    const ms = [];
    for (let i = 0; i < times; i += 1) {
      const began = performance.now();
      await started.reader.inventory(5_000);
      ms.push(performance.now() - began);
    }
    return summarize(ms);
  } finally {
    await started.reader.close();
  }
}

/** The argument lists of the agent's nvidia-smi calls (apps/gpu-agent/dist), for cannedNvidiaSmi(). */
export async function nvidiaSmiCalls() {
  const output = await import(
    pathToFileURL(join(root, 'apps/gpu-agent/dist/gpus/nvidia-smi-output.js')).href
  );
  return [output.GPU_QUERY_ARGS, output.HEADER_ARGS, output.COMPUTE_APPS_ARGS];
}
