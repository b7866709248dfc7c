import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const DEADLINE_MS = 20_000;

interface Agent {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the agent from its TypeScript sources (SWC via test/support/register-ts.mjs). */
function spawnAgent(env: Record<string, string>): Agent {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@brier/source',
      '--import',
      './test/support/register-ts.mjs',
      'apps/gpu-agent/src/main.ts',
    ],
    {
      cwd: repoRoot,
      // Only what the agent needs, so the developer's own environment can't change the outcome.
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  running.push(child);
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once `text` shows up on the agent's stdout; rejects if it exits first. */
function waitForOutput(agent: Agent, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (agent.stdout().includes(text)) resolve();
    };
    agent.child.stdout?.on('data', check);
    check();
    void agent.exited.then(({ code }) =>
      reject(new Error(`agent exited (${code}) before "${text}":\n${agent.stderr()}`)),
    );
  });
}

const running: ChildProcess[] = [];
const workDirs: string[] = [];

afterEach(() => {
  for (const child of running.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of workDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'brier-agent-'));
  workDirs.push(dir);
  return dir;
}

describe('the gpu-agent process', () => {
  it('refuses a bad environment: exit 1 and one line per bad variable, secrets redacted', async () => {
    const agent = spawnAgent({
      REDIS_URL: 'foo',
      AGENT_LABELS: 'a100, spot',
      API_URL: 'ftp://example.com',
      HF_TOKEN: 'hf_abc def',
      AGENT_WORK_DIR: workDir(),
    });
    const { code } = await within(agent.exited, DEADLINE_MS, 'agent exit');

    expect(code).toBe(1);
    expect(agent.stderr().trimEnd().split('\n')).toEqual([
      'Invalid configuration:',
      'API_URL: must be an http:// or https:// URL (got "ftp://example.com")',
      'REDIS_URL: must be a redis:// URL (got "foo")',
      'AGENT_LABELS: must be a comma-separated list of lowercase labels (1-63 of a-z, 0-9, ".", "_", "-" each; no spaces) (got "a100, spot")',
      'HF_TOKEN: must not contain whitespace (got <redacted>)',
    ]);
    expect(agent.stderr()).not.toContain('hf_abc');
    // It stopped before Nest started anything.
    expect(agent.stdout()).toBe('');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('comes up, stays up, and exits 0 on %s', async (signal) => {
    const dir = workDir();
    const agent = spawnAgent({ AGENT_WORK_DIR: dir, AGENT_NAME: 'test-agent', AGENT_LABELS: 'a100,spot' });
    await within(waitForOutput(agent, 'gpu-agent "test-agent" is up'), DEADLINE_MS, 'agent up');
    expect(agent.stdout()).toContain('labels: a100,spot');
    expect(existsSync(join(dir, 'agent.alive'))).toBe(true);

    // Still alive a moment later: nothing lets the event loop run dry.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(agent.child.exitCode).toBeNull();

    agent.child.kill(signal);
    await expect(within(agent.exited, DEADLINE_MS, 'agent exit')).resolves.toEqual({ code: 0, signal: null });
  });
});
