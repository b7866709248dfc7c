import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { SetupPlan, SetupStep } from './setup-plan.js';
import { runSetupPlan, SetupStepError } from './setup-runner.js';

// The runner on harmless plans (node one-liners), so its mechanics are proven without touching
// the host; the real plan itself is only ever dry-run in tests.
const node = process.execPath;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'brier-setup-'));
  dirs.push(dir);
  return dir;
}

function js(id: string, code: string, extra: Partial<SetupStep> = {}): SetupStep {
  return { id, description: `step ${id}`, command: node, args: ['-e', code], ...extra };
}

function plan(steps: SetupStep[], pathPrepend: string[] = []): SetupPlan {
  return {
    primeRl: { version: 'v0.4.0', sha: 'x', repository: 'r', dir: '/x' },
    envDir: '/e',
    pathPrepend,
    steps,
  };
}

async function run(p: SetupPlan) {
  let output = '';
  const report = await runSetupPlan(p, { dryRun: false, write: (text) => (output += text) });
  return { report, output };
}

describe('runSetupPlan', () => {
  it('runs the steps in order, in their directory, with their environment and the PATH prefix', async () => {
    const dir = tempDir();
    const { report, output } = await run(
      plan(
        [
          js(
            'one',
            "require('fs').writeFileSync('one', process.env.GREETING + ' ' + process.env.PATH.split(':')[0])",
            {
              cwd: dir,
              env: { GREETING: 'hello' },
            },
          ),
          js('two', "console.log(require('fs').readFileSync('one', 'utf8'))", {
            cwd: dir,
            expectStdout: 'hello /opt/uv/bin',
          }),
        ],
        ['/opt/uv/bin'],
      ),
    );
    expect(report.steps).toEqual([
      { id: 'one', outcome: 'done' },
      { id: 'two', outcome: 'done' },
    ]);
    expect(readFileSync(join(dir, 'one'), 'utf8')).toBe('hello /opt/uv/bin');
    expect(output).toContain('2. step two\n');
    expect(output).toContain('hello /opt/uv/bin\n');
  });

  it('skips a step whose skipIf check passes, and one whose onlyIf check fails', async () => {
    const dir = tempDir();
    const marker = join(dir, 'ran');
    const touch = `require('fs').appendFileSync(${JSON.stringify(marker)}, 'x')`;
    const ok = { command: node, args: ['-e', ''], description: 'always' };
    const fails = { command: node, args: ['-e', 'process.exit(3)'], description: 'never' };
    const { report } = await run(
      plan([
        js('a', touch, { skipIf: ok }),
        js('b', touch, { skipIf: fails }),
        js('c', touch, { onlyIf: fails }),
        js('d', touch, { onlyIf: ok }),
      ]),
    );
    expect(report.steps.map((s) => s.outcome)).toEqual(['skipped', 'done', 'skipped', 'done']);
    expect(readFileSync(marker, 'utf8')).toBe('xx');
  });

  it('stops at the first failing step, naming it, its exit code and its output', async () => {
    const dir = tempDir();
    const after = join(dir, 'after');
    const error = await run(
      plan([
        js('boom', "console.error('uv: lock file is out of date'); process.exit(2)"),
        js('after', `require('fs').writeFileSync(${JSON.stringify(after)}, '')`),
      ]),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SetupStepError);
    expect((error as SetupStepError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(/^setup step 1 \(boom: step boom\) failed: exit code 2\n/);
    expect((error as Error).message).toContain('uv: lock file is out of date');
    expect(existsSync(after)).toBe(false);
  });

  it('fails a step whose output is not the one expected (a checkout at the wrong commit)', async () => {
    const error = await run(
      plan([js('verify', "console.log('deadbeef')", { expectStdout: 'f870f3c' })]),
    ).catch((e: unknown) => e);
    expect((error as Error).message).toContain('expected output "f870f3c", got "deadbeef"');
  });

  it('fails clearly when a program does not exist', async () => {
    const missing: SetupStep = {
      id: 'uv',
      description: 'needs uv',
      command: 'brier-no-such-program',
      args: [],
    };
    await expect(run(plan([missing]))).rejects.toThrow(/setup step 1 \(uv: needs uv\) failed: ENOENT/);
  });
});
