import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

import { readTail } from '../files/read-tail.js';
import type { PrimeRlAdapter } from '../prime-rl/prime-rl-adapter.js';
import type { ChatTarget } from './chat-completions.js';
import type { LaunchServer, ServerExit, ServerHandle } from './eval-ports.js';

/** A prime-rl inference server this evaluation started. */
export interface LaunchedServer {
  handle: ServerHandle;
  /** Where it answers chat requests, under the name it serves the model as. */
  target: ChatTarget;
  /** http://127.0.0.1:<port>, for /health. */
  origin: string;
  stdoutPath: string;
  stderrPath: string;
  /** The command as launched, for the run's log (a model id or path, a port: no secrets). */
  commandLine: string;
}

export interface LaunchInferenceServerOptions {
  /** The local port to serve on (picked free by the caller). */
  port: number;
  adapter: PrimeRlAdapter;
  model: string;
  gpuIds: readonly number[];
  runDir: string;
  primeRlDir: string;
  uvCommand: string;
  launchServer: LaunchServer;
  /** The server's full environment from the adapter's additions (see hostEnvironment); never logged. */
  environment: (adapterEnv: Record<string, string>) => Record<string, string>;
}

/** This process's environment (defined values only) with `extra` over it. */
export function hostEnvironment(
  extra: Record<string, string>,
  hostEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(hostEnv)) if (value !== undefined) env[key] = value;
  return { ...env, ...extra };
}

/** Start `uv run --no-sync inference …` on the given local port, its console going to files in the run dir. */
export async function launchInferenceServer(options: LaunchInferenceServerOptions): Promise<LaunchedServer> {
  const { port } = options;
  const launch = options.adapter.buildInferenceServer({
    model: options.model,
    gpuIds: options.gpuIds,
    port,
    runDir: options.runDir,
  });
  await mkdir(dirname(launch.stdoutPath), { recursive: true });
  await mkdir(dirname(launch.stderrPath), { recursive: true });
  const handle = await options.launchServer({
    command: options.uvCommand,
    args: launch.args,
    cwd: options.primeRlDir,
    env: options.environment(launch.env),
    stdoutPath: launch.stdoutPath,
    stderrPath: launch.stderrPath,
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    handle,
    target: { baseUrl: `${origin}/v1`, model: launch.servedModel },
    origin,
    stdoutPath: launch.stdoutPath,
    stderrPath: launch.stderrPath,
    commandLine: [options.uvCommand, ...launch.args].join(' '),
  };
}

/** "exited with code 1" / "was killed by SIGKILL", and the end of its stderr. */
export async function describeExit(exit: ServerExit, stderrPath: string): Promise<string> {
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
  const tail = await readTail(stderrPath).catch((error: Error) => `(stderr unreadable: ${error.message})`);
  return tail === '' ? `${how} (stderr empty)` : `${how}; end of stderr:\n${tail}`;
}
