// The GPU agent (issue 4): the built agent (apps/gpu-agent/dist, `npm run build` first) against the
// built API on its own database and BullMQ prefix, with the fake prime-rl, the fake pynvml behind
// the agent's NVML reader and the fake nvidia-smi (1 GPU). One long-lived agent for 1-3, a second
// one reading GPUs with nvidia-smi for the rest of 3 (agent-bench-support.mjs switchableLaunchers()).
//
// 1. supervision CPU: a paced train run (smoke-tiny, 64 rollouts a step, the fake writing each
//    step in 4 bursts). From step 0 written to step N-2 written in the env log (the agent's boot,
//    the fake's start and the final drain left out), the agent's utime + stime from
//    /proc/<pid>/stat as % of one core. Target < 2 %. Two paces: BENCH_AGENT_STEP_SECONDS (default 1 s: ~62 rollouts/s) and
//    BENCH_AGENT_SLOW_STEP_SECONDS (default 6 s: ~11 rollouts/s, about the seed run's average of
//    1,024 rollouts per ~110 s step). For context: a silent run (the fake hangs: following files,
//    checkpoints and heartbeats without a rollout), the idle agent, the fake prime-rl, the API.
// 2. rollout latency, same runs: every stored rollout from its env-log line's `ts` to its row in
//    Postgres (agent-bench-rollouts.mjs). Target: under 1 s.
// 3. submit → process started (agent-bench-start.mjs): BENCH_AGENT_SUBMITS tiny runs one at a
//    time, the agent idle before each, three times: the agent reading GPUs through its NVML reader
//    (the default), then a second agent with AGENT_GPU_READER=nvidia-smi, with a canned nvidia-smi
//    (the agent's own time) and with the canned one paced to the wall time a real nvidia-smi took
//    on an H100 (test/fixtures/nvidia-smi/h100-driver-580). Target p50 < 50 ms. Plus one GPU read
//    alone through each.
//
//   node scripts/bench/agent.bench.mjs        # prints the result as JSON
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

import pg from 'pg';

import { rolloutLatency, VISIBILITY_POLL_MS, watchVisibility } from './agent-bench-rollouts.mjs';
import {
  measureSubmitToStart,
  nvidiaSmiCallMs,
  nvmlReadMs,
  nvidiaSmiCalls,
  START_RESOLUTION,
  TINY_SPEC,
} from './agent-bench-start.mjs';
import {
  api,
  bootClock,
  cannedNvidiaSmi,
  CLOCK_TICKS,
  cpuOf,
  FAKE_NVIDIA_SMI,
  fakeGpus,
  H100_NVIDIA_SMI_PROBE,
  killRecordedGroups,
  machineJiffies,
  nvmlReaderCpu,
  pacedNvidiaSmi,
  procStat,
  readLedger,
  setBenchAuth,
  startAgent,
  submitRun,
  switchableLaunchers,
  until,
  untilRun,
  wallNow,
} from './agent-bench-support.mjs';
import { createBenchDatabase, deletePrefix, REDIS_URL, startBenchApi } from './bench-api.mjs';

const root = new URL('../../', import.meta.url).pathname;
const STEPS = Number(process.env.BENCH_AGENT_STEPS ?? 30);
const STEP_SECONDS = Number(process.env.BENCH_AGENT_STEP_SECONDS ?? 1);
const SLOW_STEPS = Number(process.env.BENCH_AGENT_SLOW_STEPS ?? 5);
const SLOW_STEP_SECONDS = Number(process.env.BENCH_AGENT_SLOW_STEP_SECONDS ?? 6);
const SUBMITS = Number(process.env.BENCH_AGENT_SUBMITS ?? 20);
const IDLE_SECONDS = Number(process.env.BENCH_AGENT_IDLE_SECONDS ?? 30);
const SILENT_SECONDS = Number(process.env.BENCH_AGENT_SILENT_SECONDS ?? 20);
const BATCH_SIZE = 64;
const CHECKPOINT_INTERVAL = 5;
const IDLE_BEFORE_SUBMIT_MS = 500;
const WARM_UP_SECONDS = Number(process.env.BENCH_AGENT_WARM_UP_SECONDS ?? 30);
const SECOND_AGENT_WARM_UP_SECONDS = 10;
const AFTER_LAUNCH_MS = 5_000;
const BETWEEN_RUNS_MS = 1_000;
const TARGET_CPU_PERCENT = 2;
const TARGET_ROLLOUT_MS = 1000;
const TARGET_START_P50_MS = 50;

const round = (x, digits = 1) => (x === null || x === undefined ? null : Number(x.toFixed(digits)));

/** Counts the lines of a growing file, reading only what was appended since the last call. */
function lineCounter(path) {
  const buffer = Buffer.alloc(1 << 20);
  let offset = 0;
  let lines = 0;
  return () => {
    if (!existsSync(path)) return 0;
    const fd = openSync(path, 'r');
    try {
      for (let n; (n = readSync(fd, buffer, 0, buffer.length, offset)) > 0; offset += n) {
        for (let i = buffer.indexOf(10); i !== -1 && i < n; i = buffer.indexOf(10, i + 1)) lines += 1;
      }
    } finally {
      closeSync(fd);
    }
    return lines;
  };
}

function sample(agent, fakePid, apiPid, lines = 0) {
  const fake = procStat(fakePid);
  return {
    wall: wallNow(),
    agent: cpuOf(agent.pid),
    nvmlReader: nvmlReaderCpu(agent.pid),
    // The fake's leader (it forks nothing unless told to); null once it has exited.
    fake:
      fake === null || fake.state === 'Z'
        ? null
        : (fake.utime + fake.stime + fake.cutime + fake.cstime) / CLOCK_TICKS,
    api: cpuOf(apiPid),
    machine: machineJiffies(),
    load: loadavg()[0],
    lines,
  };
}

/** CPU % of one core between two samples: the agent, the fake prime-rl, the API, the machine. */
function cpuWindow(start, end) {
  const seconds = (end.wall - start.wall) / 1000;
  const percent = (from, to) =>
    from === null || from === undefined || to === null || to === undefined
      ? null
      : round(((to - from) / seconds) * 100, 2);
  const rollouts = end.lines - start.lines;
  return {
    windowSeconds: round(seconds),
    rolloutsPerSecond: round(rollouts / seconds),
    agentCpuPercentOfOneCore: percent(start.agent?.own, end.agent?.own),
    // With the children it ran and reaped in the window (nvidia-smi calls, where it reads GPUs so).
    agentWithReapedChildrenCpuPercent: percent(start.agent?.withReaped, end.agent?.withReaped),
    nvmlReaderCpuPercent: percent(start.nvmlReader, end.nvmlReader),
    // What supervising costs the host: the agent, the children it reaped, its NVML reader.
    agentTotalCpuPercent: percent(
      start.agent && start.agent.withReaped + start.nvmlReader,
      end.agent && end.agent.withReaped + end.nvmlReader,
    ),
    agentCpuMsPerRollout:
      rollouts > 0 ? round(((end.agent.own - start.agent.own) * 1000) / rollouts, 3) : null,
    fakePrimeRlCpuPercent: percent(start.fake, end.fake),
    apiCpuPercent: percent(start.api?.own, end.api?.own),
    machineBusyPercent: round(
      ((end.machine.busy - start.machine.busy) / (end.machine.total - start.machine.total)) * 100,
    ),
    loadAverage1m: { start: round(start.load, 2), end: round(end.load, 2) },
  };
}

/** 1 and 2: one paced train run; CPU over its steady state, then every rollout's latency. */
async function pacedRun({ apiUrl, apiPid, db, agent, agentDir, name, steps, stepSeconds }) {
  const spec = {
    maxSteps: steps,
    batchSize: BATCH_SIZE,
    checkpointInterval: Math.min(CHECKPOINT_INTERVAL, steps),
  };
  const { id } = await submitRun(apiUrl, name, spec);
  const rolloutLog = join(agentDir, 'runs', id, 'attempt-1', 'rollouts.jsonl');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  let visibility;
  try {
    visibility = watchVisibility(client, id);
    const ledger = await until(() => readLedger(agentDir, id), {
      timeoutMs: 60_000,
      intervalMs: 20,
      what: `ledger entry of run ${id}`,
    });
    const wait = { timeoutMs: 120_000 + steps * stepSeconds * 3_000, agent };
    // The window, by the env log (the API's progress lags by its 1 s report interval): from step 0
    // written to step steps-2 written, while the fake still has a whole step to go.
    const lines = lineCounter(rolloutLog);
    const written = (count, what) =>
      until(
        () => {
          const n = lines();
          return n >= count ? n : undefined;
        },
        { timeoutMs: wait.timeoutMs, intervalMs: 50, what },
      );
    const start = sample(agent, ledger.pid, apiPid, await written(BATCH_SIZE, 'step 0 written'));
    const endLines = await written((steps - 1) * BATCH_SIZE, `step ${steps - 2} written`);
    const supervision = cpuWindow(start, sample(agent, ledger.pid, apiPid, endLines));
    await untilRun(apiUrl, id, (view) => view.status === 'succeeded', { ...wait, what: 'success' });
    await sleep(VISIBILITY_POLL_MS * 2);
    const firstSeen = await visibility.stop();
    const latency = await rolloutLatency(client, id, rolloutLog, firstSeen, TARGET_ROLLOUT_MS);
    await sleep(BETWEEN_RUNS_MS); // the agent frees the GPU just after reporting the run
    return { run: { ...spec, stepSeconds }, supervision, latency };
  } finally {
    await visibility?.stop().catch(() => undefined);
    await client.end();
  }
}

/**
 * A run that says nothing (the fake hangs after starting step 0): what following its files, its
 * checkpoints and its heartbeats costs without a rollout. Cancelled afterwards.
 */
async function silentRun({ apiUrl, apiPid, agent, agentDir }) {
  const { id } = await submitRun(apiUrl, 'bench-agent-silent', { maxSteps: 5, batchSize: BATCH_SIZE });
  const ledger = await until(() => readLedger(agentDir, id), {
    timeoutMs: 60_000,
    intervalMs: 50,
    what: `ledger entry of run ${id}`,
  });
  await sleep(AFTER_LAUNCH_MS); // past the fake's start
  const start = sample(agent, ledger.pid, apiPid);
  await sleep(SILENT_SECONDS * 1000);
  const window = cpuWindow(start, sample(agent, ledger.pid, apiPid));
  await api(apiUrl, `/v1/runs/${id}/cancel`, {});
  await untilRun(apiUrl, id, (view) => view.status === 'cancelled', {
    timeoutMs: 60_000,
    what: 'cancellation',
    agent,
  });
  await sleep(BETWEEN_RUNS_MS);
  const { windowSeconds, agentCpuPercentOfOneCore, agentTotalCpuPercent, machineBusyPercent } = window;
  return { windowSeconds, agentCpuPercentOfOneCore, agentTotalCpuPercent, machineBusyPercent };
}

/** The idle agent's CPU: registered, heartbeating, its worker waiting on the queue. */
async function idleCpu(agent, apiPid) {
  const start = sample(agent, 0, apiPid);
  await sleep(IDLE_SECONDS * 1000);
  const { agentCpuPercentOfOneCore, agentTotalCpuPercent, windowSeconds, machineBusyPercent } = cpuWindow(
    start,
    sample(agent, 0, apiPid),
  );
  return { windowSeconds, agentCpuPercentOfOneCore, agentTotalCpuPercent, machineBusyPercent };
}

const cpuTarget = (run) => ({
  rolloutsPerSecond: run.supervision.rolloutsPerSecond,
  measured: run.supervision.agentTotalCpuPercent,
  agentProcessAlone: run.supervision.agentCpuPercentOfOneCore,
  met: run.supervision.agentTotalCpuPercent < TARGET_CPU_PERCENT,
});

const latencyTarget = (run) => ({
  stepSeconds: run.run.stepSeconds,
  maxMs: run.latency.lineToInsertTransaction.maxMs,
  p99Ms: run.latency.lineToInsertTransaction.p99Ms,
  shareUnder1s: run.latency.shareUnder1s,
  met: run.latency.lineToInsertTransaction.maxMs < TARGET_ROLLOUT_MS,
});

/**
 * The canned nvidia-smi slowed to what placement's call (compute apps, through the agent's
 * NvidiaSmi) took on the H100: the delay is the H100's p50 less the canned one's here.
 */
function pacedLikeH100(dir, canned, gpusFile) {
  const h100 = JSON.parse(readFileSync(H100_NVIDIA_SMI_PROBE, 'utf8')).timingsMs.placement;
  const cannedMs = nvidiaSmiCallMs(canned, gpusFile, { call: 'computeApps', times: 20 });
  const delayMs = round(h100.p50 - cannedMs.p50Ms, 1);
  const binary = pacedNvidiaSmi(dir, canned, delayMs);
  const pacedMs = nvidiaSmiCallMs(binary, gpusFile, { call: 'computeApps', times: 20 });
  return {
    binary,
    pacing: {
      h100ComputeAppsP50Ms: round(h100.p50, 1),
      cannedComputeAppsP50Ms: cannedMs.p50Ms,
      delayMs,
      pacedComputeAppsP50Ms: pacedMs.p50Ms,
    },
  };
}

export async function benchAgent(workDir) {
  const dir = join(workDir, `agent-${randomBytes(4).toString('hex')}`);
  const agentDir = join(dir, 'agent');
  mkdirSync(join(dir, 'prime-rl'), { recursive: true });
  const gpusFile = fakeGpus(dir, 1);
  const canned = cannedNvidiaSmi(dir, gpusFile, await nvidiaSmiCalls());
  const paced = pacedLikeH100(dir, canned, gpusFile);
  const launchers = switchableLaunchers(dir);
  const prefix = `bench-agent-${randomBytes(6).toString('hex')}`;
  const db = await createBenchDatabase();
  let apiServer;
  let agent;
  try {
    apiServer = await startBenchApi(db.url, { BRIER_QUEUE_PREFIX: prefix });
    setBenchAuth(apiServer.authHeaders);
    const clock = bootClock();
    const loadBefore = loadavg()[0];
    const agentEnv = {
      API_URL: apiServer.url,
      AGENT_API_TOKEN: apiServer.agentToken,
      REDIS_URL,
      BRIER_QUEUE_PREFIX: prefix,
      AGENT_NAME: 'bench-agent',
      AGENT_WORK_DIR: agentDir,
      UV_BIN: launchers.uv,
      PRIME_RL_DIR: join(dir, 'prime-rl'),
      NVIDIA_SMI_BIN: launchers.nvidiaSmi,
      FAKE_NVIDIA_SMI_STATE: gpusFile,
    };
    agent = await startAgent(agentEnv);
    const context = { apiUrl: apiServer.url, apiPid: apiServer.pid, db, prefix, agent, agentDir };
    // Past its boot, and past V8's first heap reduction after it (a major GC ~30 s in): a
    // long-lived agent's steady state is what is measured.
    await sleep(WARM_UP_SECONDS * 1000);
    const idle = await idleCpu(agent, apiServer.pid);

    launchers.setKnobs({ FAKE_PRIME_RL_HANG: 0 });
    const silent = await silentRun(context);
    launchers.setKnobs({ FAKE_PRIME_RL_STEP_SECONDS: STEP_SECONDS });
    const fast = await pacedRun({
      ...context,
      name: 'bench-agent-fast',
      steps: STEPS,
      stepSeconds: STEP_SECONDS,
    });
    launchers.setKnobs({ FAKE_PRIME_RL_STEP_SECONDS: SLOW_STEP_SECONDS });
    const slow = await pacedRun({
      ...context,
      name: 'bench-agent-slow',
      steps: SLOW_STEPS,
      stepSeconds: SLOW_STEP_SECONDS,
    });

    launchers.setKnobs({});
    const submits = { ...context, clock, runs: SUBMITS, idleMs: IDLE_BEFORE_SUBMIT_MS };
    const start = await measureSubmitToStart({ ...submits, name: 'bench-agent-start' });
    const gpuReads = {
      nvml: await nvmlReadMs(launchers.uv, join(dir, 'prime-rl'), gpusFile),
      nvidiaSmiFake: nvidiaSmiCallMs(FAKE_NVIDIA_SMI, gpusFile),
      nvidiaSmiCanned: nvidiaSmiCallMs(canned, gpusFile),
    };

    // The same path with AGENT_GPU_READER=nvidia-smi (hosts where the NVML reader can't run): a
    // second agent, the first one stopped.
    await agent.stop();
    launchers.useNvidiaSmi(canned);
    const smiAgentDir = join(dir, 'agent-nvidia-smi');
    agent = await startAgent({
      ...agentEnv,
      AGENT_NAME: 'bench-agent-nvidia-smi',
      AGENT_WORK_DIR: smiAgentDir,
      AGENT_GPU_READER: 'nvidia-smi',
    });
    await sleep(SECOND_AGENT_WARM_UP_SECONDS * 1000);
    const smiSubmits = { ...submits, agent, agentDir: smiAgentDir };
    const startCanned = await measureSubmitToStart({ ...smiSubmits, name: 'bench-agent-start-canned' });
    launchers.useNvidiaSmi(paced.binary);
    const startPaced = await measureSubmitToStart({ ...smiSubmits, name: 'bench-agent-start-paced' });
    const p50 = start.total.p50Ms;
    return {
      name: 'agent',
      setup: {
        api: 'apps/api/dist/main.js, own database and BullMQ prefix, defaults (agent heartbeat every 10 s)',
        agent:
          'apps/gpu-agent/dist/main.js, defaults, 1 GPU, fake prime-rl; GPUs read through its NVML reader ' +
          "on the fake uv's Python with the fake pynvml (AGENT_GPU_READER=nvml, the default)",
        runs: `smoke-tiny, ${BATCH_SIZE} rollouts a step; the fake writes a step in 4 bursts, one every stepSeconds / 4`,
        submitRuns: { n: SUBMITS, spec: TINY_SPEC, idleBeforeMs: IDLE_BEFORE_SUBMIT_MS },
        clock: { clockTicksPerSecond: CLOCK_TICKS, bootClockSkewMs: clock.skewMs },
        loadAverage1m: { before: round(loadBefore, 2), after: round(loadavg()[0], 2) },
        cpuResolution: `${CLOCK_TICKS} Hz ticks`,
      },
      supervision: {
        fast: { run: fast.run, ...fast.supervision },
        slow: { run: slow.run, ...slow.supervision },
        silentRun: silent,
        idleAgent: idle,
      },
      rolloutLatency: {
        definition:
          'ts of the env-log line (time.time() inside the log lock) → rollouts.created_at (now() of the ingest ' +
          'transaction, i.e. when it began); lineToVisible: → first seen by a reader polling every ' +
          `${VISIBILITY_POLL_MS} ms (upper bound)`,
        fast: { run: fast.run, ...fast.latency },
        slow: { run: slow.run, ...slow.latency },
      },
      submitToStart: {
        resolution: START_RESOLUTION,
        nvml: start,
        nvidiaSmiCanned: { agent: 'a second agent, AGENT_GPU_READER=nvidia-smi', ...startCanned },
        nvidiaSmiH100Paced: { ...startPaced, pacing: paced.pacing },
        gpuReadAlone: gpuReads,
      },
      targets: {
        supervisionCpuUnder2Percent: {
          target: TARGET_CPU_PERCENT,
          fast: cpuTarget(fast),
          slow: cpuTarget(slow),
        },
        rolloutInPostgresUnder1s: {
          target: TARGET_ROLLOUT_MS,
          fast: latencyTarget(fast),
          slow: latencyTarget(slow),
        },
        submitToProcessStartedP50Under50ms: {
          target: TARGET_START_P50_MS,
          measured: p50,
          met: p50 !== null && p50 < TARGET_START_P50_MS,
          withNvidiaSmiCanned: startCanned.total.p50Ms,
          withNvidiaSmiH100Paced: startPaced.total.p50Ms,
        },
      },
    };
  } finally {
    await agent?.stop().catch(() => undefined);
    killRecordedGroups(join(agentDir, 'state', 'process-groups'));
    await apiServer?.stop().catch(() => undefined);
    await deletePrefix(prefix).catch(() => undefined);
    await db.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchAgent(join(root, 'bench-results', 'work'));
  console.log(JSON.stringify(result, null, 2));
}
