import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

import type { LengthPenaltyConfig } from '@brier/calibration';
import type { ClaimRunResponse } from '@brier/contracts';
import { execa } from 'execa';

import { claimed, registerAgent, type TestAgent } from '../../../api/test/support/agent-api.js';
import { createRun } from '../../../api/test/support/rollout-api.js';
import { bearer } from '../../../api/test/support/test-tokens.js';
import { freePort } from '../../../api/test/support/runs-fixtures.js';
import type { TestApi } from '../../../api/test/support/test-api.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const FAKE_PRIME_RL = here('../fixtures/fake-prime-rl');
const ENV_DIR = here('../../environments/calibrated_qa');
const BOOLQ = here('../../../../data/boolq/val.jsonl');

/**
 * A TCP forwarder to the test API on a port of its own that starts CLOSED: a client pointed at it
 * sees the API down (connection refused) until open(), and again after close().
 */
export class SwitchableProxy {
  readonly url: string;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly port: number,
    private readonly target: URL,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async create(targetUrl: string): Promise<SwitchableProxy> {
    return new SwitchableProxy(await freePort(), new URL(targetUrl));
  }

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection({ host: this.target.hostname, port: Number(this.target.port) });
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A train run created with `spec`, claimed by a fresh test agent (with the agent token): its lease. */
export async function claimedTrainRun(
  api: TestApi,
  spec: Record<string, unknown>,
): Promise<{ runId: string; agent: TestAgent; claim: ClaimRunResponse }> {
  const run = await createRun(api, 'train', spec);
  const asAgent = { ...api, authHeaders: bearer(api.agentToken) };
  const agent = await registerAgent(asAgent, `shipper-${run.id.slice(0, 8)}`);
  const claim = await claimed(agent.claim(run.id));
  return { runId: run.id, agent, claim };
}

/**
 * A rollout log written by the REAL calibrated_qa code (its reward function and RolloutLog),
 * fed the fake prime-rl's synthetic completions: `steps` × `batchSize` lines at `path`.
 */
export async function writeEnvRolloutLog(
  path: string,
  options: { steps: number; batchSize: number; reward: LengthPenaltyConfig },
): Promise<void> {
  const script = [
    'import sys',
    'from pathlib import Path',
    'fake, env_dir, dataset, out, steps, batch, max_tokens, low, high = sys.argv[1:10]',
    'sys.path.insert(0, fake)',
    'from fake_prime_rl.rollouts import load_env, step_rollouts, score',
    'args = {"log_path": out, "batch_size": int(batch), "max_tokens": int(max_tokens),',
    '        "low_fraction": float(low), "high_fraction": float(high), "dataset_path": dataset}',
    'env = load_env("calibrated-qa", args, Path(env_dir), Path(dataset))',
    'for step in range(int(steps)):',
    '    score(env, step_rollouts(env, 7, step, int(batch), 8, int(max_tokens)))',
  ].join('\n');
  const { reward } = options;
  await execa(
    'python3',
    [
      '-c',
      script,
      FAKE_PRIME_RL,
      ENV_DIR,
      BOOLQ,
      path,
      String(options.steps),
      String(options.batchSize),
      String(reward.maxTokens),
      String(reward.lowFraction),
      String(reward.highFraction),
    ],
    { timeout: 30_000 },
  );
}
