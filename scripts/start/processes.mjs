// Child processes for scripts/start.mjs: node: built-ins only, never a shell.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/** Prints one line of what start.mjs is doing. */
export function say(text) {
  console.log(`[start] ${text}`);
}

/** A failure start.mjs explains in one message and exits 1 for. */
export class StartError extends Error {}

/** `npm <args>`: the npm that runs this script (npm_execpath) when there is one, else npm on PATH. */
export function npm(args) {
  const cli = process.env.npm_execpath;
  if (cli !== undefined && /\.[cm]?js$/.test(cli)) return [process.execPath, [cli, ...args]];
  return ['npm', args];
}

/**
 * Runs a command with inherited stdio and resolves with how it ended. Past `timeoutMs` it gets
 * SIGTERM, then SIGKILL 5 s later.
 */
export function run(command, args, { env = process.env, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: 'inherit' });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new StartError(`cannot run ${command}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut });
    });
  });
}

/** Runs a command and collects its output; `code` is null when it could not start or timed out. */
export function capture(command, args, { env = process.env, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      resolve({ code: null, stdout: '', stderr: String(error) });
      return;
    }
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr || error.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Starts a long-running child whose output lines are prefixed with `[name]`.
 * Returns { name, child, exited: Promise<{ code, signal }>, isRunning() }.
 */
export function startChild(name, command, args, env, { ownGroup = false } = {}) {
  // ownGroup: out of the terminal's process group, so a Ctrl-C reaches it only through this script.
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: ownGroup });
  prefixLines(child.stdout, `[${name}]`, process.stdout);
  prefixLines(child.stderr, `[${name}]`, process.stderr);
  const exited = new Promise((resolve) => {
    child.once('error', (error) => {
      console.error(`[${name}] could not start: ${error.message}`);
      resolve({ code: null, signal: null });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { name, child, exited, isRunning: () => child.exitCode === null && child.signalCode === null };
}

function prefixLines(stream, prefix, out) {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) =>
    out.write(`${prefix} ${line}\n`),
  );
}

/**
 * Stops started children one after another, in the order given (each signalled only once the one
 * before has exited): `signal`, then SIGKILL past its deadline (`deadlinesMs[name]`). Tells `onExit`
 * about each; resolves with their outcomes, in that order.
 */
export async function stopInOrder(procs, signal, deadlinesMs, onExit = () => {}) {
  const outcomes = [];
  for (const proc of procs) {
    if (proc.isRunning()) proc.child.kill(signal);
    const outcome = await stopWithin(proc, deadlinesMs[proc.name]);
    onExit(proc, outcome);
    outcomes.push(outcome);
  }
  return outcomes;
}

/** Waits up to `ms` for a started child to exit, then SIGKILLs it; resolves with how it ended. */
export async function stopWithin(proc, ms) {
  const outcome = await Promise.race([proc.exited, sleep(ms).then(() => undefined)]);
  if (outcome !== undefined) return outcome;
  say(`${proc.name} did not exit within ${ms / 1000} s: killing it`);
  proc.child.kill('SIGKILL');
  return proc.exited;
}

/** Whether a process id is alive (signal 0 checks without sending anything). */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Sends `signal` to a process that is not our child and waits up to `ms` for it to go. */
export async function stopPid(pid, signal, ms) {
  try {
    process.kill(pid, signal);
  } catch {
    return true;
  }
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}
