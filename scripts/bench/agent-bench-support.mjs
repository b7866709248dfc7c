// What the agent benchmark needs around the agent: the built agent as a child process (fake
// prime-rl and fake nvidia-smi, as apps/gpu-agent/test/support/agent-process.ts does from source)
// and the launchers that switch them between measurements, CPU time and start times read from
// /proc, a wall clock they can be compared with, the few API calls it makes, and bounded polling.
// Linux only (/proc).
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = new URL('../../', import.meta.url).pathname;
const fixtures = join(root, 'apps/gpu-agent/test/fixtures');
export const AGENT_MAIN = join(root, 'apps/gpu-agent/dist/main.js');
export const FAKE_UV = join(fixtures, 'fake-prime-rl', 'uv');
export const FAKE_NVIDIA_SMI = join(fixtures, 'bin', 'nvidia-smi');
/** The agent's GPU code timed against a real nvidia-smi on an H100 (scripts/device/gpu-probe.mjs). */
export const H100_NVIDIA_SMI_PROBE = join(fixtures, 'nvidia-smi', 'h100-driver-580', 'probe.json');

export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Wall-clock milliseconds with sub-millisecond resolution (comparable with Date.now() elsewhere). */
export const wallNow = () => performance.timeOrigin + performance.now();

/**
 * When the machine booted, in wall-clock ms, from the monotonic clock (CLOCK_MONOTONIC counts from
 * boot on Linux): exact, unlike /proc/stat's btime (whole seconds). /proc/<pid>/stat start times
 * count from boot on CLOCK_BOOTTIME, which differs from it only by time spent suspended:
 * `skewMs` (against /proc/uptime, itself 10 ms resolution) shows that difference.
 */
export function bootClock() {
  const monotonicMs = Number(process.hrtime.bigint()) / 1e6;
  const bootWallMs = wallNow() - monotonicMs;
  const uptimeMs = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
  const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
  return {
    bootWallMs,
    skewMs: Math.round(uptimeMs - monotonicMs),
    btimeDifferenceMs: Math.round(bootWallMs - btime * 1000),
    /** A start time in clock ticks after boot as wall-clock ms (the tick's start: the process began within the tick). */
    ticksToWallMs: (ticks) => bootWallMs + (ticks * 1000) / CLOCK_TICKS,
  };
}

/** Fields of /proc/<pid>/stat (times in clock ticks), or null when the process is gone. */
export function procStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const at = (field) => Number(fields[field - 3]); // fields are numbered from 1 in proc(5)
  return {
    state: fields[0],
    ppid: at(4),
    pgrp: at(5),
    utime: at(14),
    stime: at(15),
    cutime: at(16),
    cstime: at(17),
    startTicks: at(22),
  };
}

/** CPU seconds of a process: its own, and with its exited-and-reaped children. */
export function cpuOf(pid) {
  const stat = procStat(pid);
  if (stat === null) return null;
  return {
    own: (stat.utime + stat.stime) / CLOCK_TICKS,
    withReaped: (stat.utime + stat.stime + stat.cutime + stat.cstime) / CLOCK_TICKS,
  };
}

/**
 * CPU seconds of the agent's NVML reader (its child running nvml_reader.py; the fake uv execs
 * Python in place), 0 when there is none: a helper of the agent, so part of what supervising costs.
 */
export function nvmlReaderCpu(agentPid) {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(entry);
    if (stat === null || stat.ppid !== agentPid) continue;
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    if (cmdline.includes('nvml_reader.py'))
      total += (stat.utime + stat.stime + stat.cutime + stat.cstime) / CLOCK_TICKS;
  }
  return total;
}

/** Busy and total jiffies of the whole machine (/proc/stat's cpu line), for how loaded it was. */
export function machineJiffies() {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = values.map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** Polls `probe` every `intervalMs` until it returns something other than undefined/false; throws at the deadline. */
export async function until(probe, { timeoutMs, intervalMs, what }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** The bench API's admin Authorization header, for api() (setBenchAuth once the API is started). */
let benchAuth = {};

export function setBenchAuth(headers) {
  benchAuth = headers;
}

/** GET or POST (with a JSON body) on the API as its admin; the parsed answer, or an error naming the status. */
export async function api(url, path, body) {
  const response = await fetch(`${url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { ...benchAuth, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const json = await response.json();
  if (response.status >= 300) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

/** POST /v1/runs of the smoke-tiny preset with spec overrides. */
export const submitRun = (url, name, spec) => api(url, '/v1/runs', { preset: 'smoke-tiny', name, spec });

/** Polls GET /v1/runs/:id until `test(view)`; a failed or cancelled run, or the deadline, throws with the agent's output. */
export function untilRun(url, id, test, { timeoutMs, what, agent }) {
  return until(
    async () => {
      const view = await api(url, `/v1/runs/${id}`);
      if (test(view)) return view;
      if (['failed', 'cancelled'].includes(view.status)) throw new Error(`run ${id} ended ${view.status}`);
      return undefined;
    },
    { timeoutMs, intervalMs: 200, what: `${what} of run ${id}` },
  ).catch((error) => {
    throw new Error(`${error.message}\n--- agent ---\n${agent.output()}`);
  });
}

/** The agent's process ledger entry of a run (written right after the launch, removed at its exit). */
export async function readLedger(agentDir, runId) {
  // The agent's own path rule, from its build (benchmarks run after `npm run build`).
  const { processLedgerDir } = await import(
    pathToFileURL(join(root, 'apps/gpu-agent/dist/process/process-ledger.js')).href
  );
  let entry;
  try {
    entry = JSON.parse(readFileSync(join(processLedgerDir(agentDir), `${runId}.json`), 'utf8'));
  } catch (error) {
    if (error.code === 'ENOENT' || error instanceof SyntaxError) return undefined; // not (fully) there yet
    throw error;
  }
  return entry.pgid === null ? undefined : entry; // pending: written just before the spawn
}

/**
 * An nvidia-smi that answers the agent's three calls from canned output (what the fake printed
 * for this state file) in a few ms: /bin/sh and cat instead of a Node start. Anything else goes
 * to the fake. To tell the agent's own placement time from the fake's (~40-70 ms a call).
 */
export function cannedNvidiaSmi(dir, gpusFile, callArgs) {
  const script = ['#!/bin/sh', 'case "$*" in'];
  callArgs.forEach((args, i) => {
    const out = join(dir, `nvidia-smi-${i}.txt`);
    writeFileSync(
      out,
      execFileSync(FAKE_NVIDIA_SMI, args, { env: { ...process.env, FAKE_NVIDIA_SMI_STATE: gpusFile } }),
    );
    script.push(`  '${args.join(' ')}') exec cat '${out}' ;;`);
  });
  script.push(`  *) exec '${FAKE_NVIDIA_SMI}' "$@" ;;`, 'esac', '');
  return executable(join(dir, 'nvidia-smi-canned'), script);
}

/**
 * The canned nvidia-smi made as slow as a real one: each call sleeps `delayMs` first. The H100
 * run's timings (test/fixtures/nvidia-smi/h100-driver-580/probe.json) set the delay, so the
 * agent's path is measured with the wall time of a real call (not its CPU: the real tool spends
 * most of its ~20 ms in the kernel, which the sleep does not load onto this machine).
 */
export function pacedNvidiaSmi(dir, canned, delayMs) {
  const seconds = (Math.max(0, delayMs) / 1000).toFixed(4);
  return executable(join(dir, 'nvidia-smi-paced'), [
    '#!/bin/sh',
    `sleep ${seconds}`,
    `exec '${canned}' "$@"`,
    '',
  ]);
}

/**
 * One long-lived agent serves every measurement; what changes between them goes through two
 * launchers it was started with: `uv` sources the fake prime-rl's knobs from a file before it
 * execs the fake (so each run gets the pace set when it was submitted), and `nvidia-smi` execs
 * the program a file names (the fake until useNvidiaSmi() names another; one /bin/sh exec more
 * per call).
 */
export function switchableLaunchers(dir) {
  const knobs = join(dir, 'fake-prime-rl.env');
  const smiTarget = join(dir, 'nvidia-smi.target');
  writeFileSync(knobs, '');
  writeFileSync(smiTarget, `${FAKE_NVIDIA_SMI}\n`);
  return {
    uv: executable(join(dir, 'uv'), [
      '#!/bin/sh',
      'set -a',
      `. '${knobs}'`,
      'set +a',
      `exec '${FAKE_UV}' "$@"`,
      '',
    ]),
    nvidiaSmi: executable(join(dir, 'nvidia-smi'), [
      '#!/bin/sh',
      `read -r target < '${smiTarget}'`,
      'exec "$target" "$@"',
      '',
    ]),
    /** The fake prime-rl's knobs for the runs launched from now on (only these). */
    setKnobs(values) {
      const lines = Object.entries(values).map(([key, value]) => `${key}='${String(value)}'`);
      writeFileSync(knobs, `${lines.join('\n')}\n`);
    },
    /** The nvidia-smi the agent's calls run from now on. */
    useNvidiaSmi(binary) {
      // Renamed into place: the heartbeat's nvidia-smi may be reading it right now.
      writeFileSync(`${smiTarget}.next`, `${binary}\n`);
      renameSync(`${smiTarget}.next`, smiTarget);
    },
  };
}

function executable(path, lines) {
  writeFileSync(path, lines.join('\n'));
  chmodSync(path, 0o755);
  return path;
}

/** A fake nvidia-smi state file with `count` idle H100s; returns its path. */
export function fakeGpus(dir, count) {
  const file = join(dir, 'gpus.json');
  const gpus = Array.from({ length: count }, (_, index) => ({
    index,
    uuid: `GPU-00000000-0000-0000-0000-${String(index).padStart(12, '0')}`,
    name: 'NVIDIA H100 80GB HBM3',
    memoryTotalMiB: 81559,
    memoryUsedMiB: 1,
  }));
  writeFileSync(
    file,
    JSON.stringify({ driverVersion: '550.54.15', cudaVersion: '12.4', gpus, processes: [] }),
  );
  return file;
}

const READY = /pulling runs from/;
const BOOT_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;

/**
 * The built agent (apps/gpu-agent/dist/main.js) with the fake prime-rl and nvidia-smi; resolves
 * once its worker pulls from the queue. `env` adds knobs (FAKE_PRIME_RL_STEP_SECONDS, …), which its
 * runs' processes inherit. BENCH_AGENT_NODE_ARGS adds node flags, e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof` to see where its CPU goes (the profile is written when it stops).
 */
export async function startAgent(env) {
  const nodeArgs = (process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
  const child = spawn(process.execPath, [...nodeArgs, AGENT_MAIN], {
    cwd: root,
    // Only what the agent needs, as the agent's own tests do.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk) => (output = (output + chunk).slice(-20_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const started = Date.now();
  while (!READY.test(output)) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the agent exited while starting:\n${output}`);
    }
    if (Date.now() - started > BOOT_TIMEOUT_MS) {
      child.kill('SIGKILL');
      throw new Error(`the agent did not start pulling runs within ${BOOT_TIMEOUT_MS} ms:\n${output}`);
    }
    await sleep(50);
  }
  return {
    pid: child.pid,
    output: () => output,
    /** SIGTERM (it stops its runs and exits), SIGKILL past the deadline. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs whose process groups the agent recorded and that are still alive: killed (a stopped agent leaves none). */
export function killRecordedGroups(ledgerDir) {
  let names;
  try {
    names = readdirSync(ledgerDir).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  const killed = [];
  for (const name of names) {
    try {
      const { pgid, pid, startTicks } = JSON.parse(readFileSync(join(ledgerDir, name), 'utf8'));
      const leader = procStat(pid);
      // Ours only: the leader recorded (same start time), or a group whose leader is gone.
      if (leader !== null && leader.startTicks !== startTicks) continue;
      process.kill(-pgid, 'SIGKILL');
      killed.push(pgid);
    } catch (error) {
      if (error.code !== 'ESRCH') throw error;
    }
  }
  return killed;
}

function percentileOf(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** n, p50/p95/p99/max/min (ms, rounded to 0.1) of a list of durations; null fields when empty. */
export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (x) => (x === undefined ? null : Math.round(x * 10) / 10);
  return {
    n: sorted.length,
    p50Ms: round(percentileOf(sorted, 50)),
    p95Ms: round(percentileOf(sorted, 95)),
    p99Ms: round(percentileOf(sorted, 99)),
    maxMs: round(sorted.at(-1)),
    minMs: round(sorted[0]),
  };
}
