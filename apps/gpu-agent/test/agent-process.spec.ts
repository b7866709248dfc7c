import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { cleanupAgents, spawnAgent, tempDir, type AgentProcess } from './support/agent-process.js';
import { within } from '../../api/test/support/runs-fixtures.js';

const DEADLINE_MS = 20_000;
// A port nothing listens on: these tests never reach an API (registration keeps retrying).
const NO_API = 'http://127.0.0.1:9';

afterEach(async () => {
  await cleanupAgents();
});

function exitOf(agent: AgentProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return within(agent.exited, DEADLINE_MS, 'agent exit');
}

describe('the gpu-agent process', () => {
  it('refuses a bad environment: exit 1 and one line per bad variable, secrets redacted', async () => {
    const agent = spawnAgent({
      REDIS_URL: 'foo',
      AGENT_LABELS: 'a100, spot',
      API_URL: 'ftp://example.com',
      HF_TOKEN: 'hf_abc def',
      AGENT_WORK_DIR: tempDir(),
    });
    const { code } = await exitOf(agent);

    expect(code).toBe(1);
    expect(agent.stderr().trimEnd().split('\n')).toEqual([
      'Invalid configuration:',
      'API_URL: must be an http:// or https:// URL (got "ftp://example.com")',
      'AGENT_LABELS: must be a comma-separated list of lowercase labels (1-63 of a-z, 0-9, ".", "_", "-" each; no spaces) (got "a100, spot")',
      'HF_TOKEN: must not contain whitespace (got <redacted>)',
      // The Redis settings are shared with the API (libs/config RedisConfig), checked after the agent's own.
      'REDIS_URL: must be a redis:// URL (got "foo")',
    ]);
    expect(agent.stderr()).not.toContain('hf_abc');
    // It stopped before Nest started anything.
    expect(agent.stdout()).toBe('');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'comes up while the API is unreachable, stays up, and exits 0 on %s',
    async (signal) => {
      const dir = tempDir();
      const agent = spawnAgent({
        API_URL: NO_API,
        AGENT_WORK_DIR: dir,
        AGENT_NAME: 'test-agent',
        AGENT_LABELS: 'a100,spot',
      });
      await agent.waitForOutput('gpu-agent "test-agent" is up', DEADLINE_MS);
      expect(agent.stdout()).toContain('labels: a100,spot');
      expect(existsSync(join(dir, 'agent.alive'))).toBe(true);

      // Still alive a moment later: nothing lets the event loop run dry.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(agent.child.exitCode).toBeNull();

      agent.child.kill(signal);
      await expect(exitOf(agent)).resolves.toEqual({ code: 0, signal: null });
    },
  );
});

describe('brier-agent setup', () => {
  it('prints its plan with --dry-run and runs nothing', async () => {
    const primeRlDir = join(tempDir(), "prime rl's; rm -rf ~");
    const agent = spawnAgent({}, ['setup', '--dry-run', '--skip-apt', '--prime-rl-dir', primeRlDir]);
    expect(await exitOf(agent)).toEqual({ code: 0, signal: null });
    const plan = agent.stdout();
    expect(plan).toContain('git clone https://github.com/PrimeIntellect-ai/prime-rl.git');
    expect(plan).toContain('f870f3cbd8de5b731d880d8715bf76e983337862'); // the v0.4.0 pin
    expect(plan).toMatch(/uv sync/);
    expect(plan).not.toContain('apt-get');
    expect(existsSync(primeRlDir)).toBe(false);
  });

  it('refuses a prime-rl version it has no adapter for, naming the ones it has', async () => {
    const agent = spawnAgent({}, ['setup', '--dry-run', '--prime-rl-version', 'v9.9.9']);
    expect((await exitOf(agent)).code).not.toBe(0);
    expect(agent.stderr()).toMatch(/v9\.9\.9.*v0\.4\.0|v0\.4\.0.*v9\.9\.9/);
  });
});
