import { spawn, type ChildProcess } from 'node:child_process';

import { repoRoot } from '../../../apps/gpu-agent/test/support/agent-process.js';
import { waitFor } from '../../../apps/api/test/support/runs-fixtures.js';

/** The real API (apps/api/src/main.ts through SWC, as `npm start` runs it built) as a child process. */
export interface ApiProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts it with exactly `env` (plus PATH/HOME) and waits until /health answers 200. */
export async function spawnApi(port: number, env: Record<string, string>): Promise<ApiProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=@brier/source', '--import', './test/support/register-ts.mjs', 'apps/api/src/main.ts'],
    {
      cwd: repoRoot,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '/tmp',
        NO_COLOR: '1',
        HOST: '127.0.0.1',
        PORT: String(port),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const api: ApiProcess = {
    url,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), sleepFor(10_000)]);
      if (!stopped) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`API on ${port} exited (${child.exitCode}):\n${output}`);
        const answer = await fetch(`${url}/health`).catch(() => undefined);
        return answer?.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: `the API on port ${port} to be healthy` },
    );
  } catch (error) {
    await api.stop();
    throw new Error(`${(error as Error).message}\n${output}`, { cause: error });
  }
  return api;
}

function sleepFor(ms: number): Promise<false> {
  return new Promise((resolve) => setTimeout(() => resolve(false), ms).unref());
}
