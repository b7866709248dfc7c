import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

import { parseRunRequest } from '@brier/contracts';
import type { Queue } from 'bullmq';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';

import { allJobIds } from '../../apps/api/test/support/runs-fixtures.js';
import type { TestApi } from '../../apps/api/test/support/test-api.js';
import { ClassicV040Adapter } from '../../apps/gpu-agent/src/prime-rl/classic-v0-4.adapter.js';
import {
  expectSucceededOnce,
  request,
  sql,
  startAgent,
  submitTiny,
  untilStatus,
  faultSuite,
} from './support/fault-harness.js';

// Issue 6, "Access": no user-controlled string reaches a shell or a path outside the agent's work
// directory. Injection and traversal payloads are refused at the API, field by field, with
// nothing stored or queued; what the API does let through (free text) stays data at the agent.

let api: TestApi;
let queue: Queue;
faultSuite((suite) => ({ api, queue } = suite));

/** A file a successful `$(…)` or backtick injection would create: it must never exist. */
const PWNED = `/tmp/brier-pwned-${randomUUID()}`;

const PAYLOADS = {
  semicolon: '; rm -rf / #',
  subshell: `$(touch ${PWNED})`,
  backticks: `\`touch ${PWNED}\``,
  traversal: '../../etc/passwd',
  nul: 'run\u0000name',
  megabyte: 'x'.repeat(1_000_000),
  tomlNewline: 'x"\n[trainer.optim]\nlr = 1.0\n#',
  tomlBrackets: ']]\n[[orchestrator.env]]\nid = "evil"',
  quotes: `it's "quoted"`,
  innerTraversal: 'org/../../etc/passwd',
} as const;
type Payload = keyof typeof PAYLOADS;

/** Where each payload goes in a run request, and the path the API's 400 must name. */
const FIELDS: { path: string; body: (value: string) => Record<string, unknown>; payloads: Payload[] }[] = [
  { path: 'name', body: (v) => ({ name: v }), payloads: Object.keys(PAYLOADS) as Payload[] },
  { path: 'spec.model', body: (v) => ({ spec: { model: v } }), payloads: Object.keys(PAYLOADS) as Payload[] },
  {
    path: 'spec.promptTemplate',
    body: (v) => ({ spec: { promptTemplate: v } }),
    payloads: Object.keys(PAYLOADS) as Payload[],
  },
  {
    path: 'spec.dataset.path',
    body: (v) => ({ spec: { dataset: { path: v } } }),
    payloads: ['traversal', 'subshell', 'nul'],
  },
  {
    path: 'resources.labels',
    body: (v) => ({ resources: { gpuCount: 1, labels: [v] } }),
    payloads: Object.keys(PAYLOADS) as Payload[],
  },
  {
    path: 'resources.gpuType',
    body: (v) => ({ resources: { gpuCount: 1, gpuType: v } }),
    payloads: Object.keys(PAYLOADS) as Payload[],
  },
  {
    path: 'preset',
    body: (v) => ({ preset: v }),
    payloads: ['traversal', 'semicolon', 'nul', 'tomlNewline'],
  },
  { path: 'description', body: (v) => ({ description: v }), payloads: ['nul', 'megabyte'] },
];

const EVAL_FIELDS: {
  path: string;
  target: (value: string) => Record<string, unknown>;
  payloads: Payload[];
}[] = [
  {
    path: 'spec.target.endpoint.model',
    target: (v) => ({ endpoint: { baseUrl: 'http://127.0.0.1:9/v1', model: v } }),
    payloads: [
      'semicolon',
      'subshell',
      'backticks',
      'traversal',
      'innerTraversal',
      'nul',
      'megabyte',
      'tomlNewline',
      'quotes',
    ],
  },
  {
    path: 'spec.target.endpoint.baseUrl',
    target: (v) => ({ endpoint: { baseUrl: `http://127.0.0.1:9/${v}`, model: 'm' } }),
    payloads: ['semicolon', 'subshell', 'nul', 'tomlNewline', 'megabyte'],
  },
  {
    path: 'spec.target.model',
    target: (v) => ({ model: v }),
    payloads: ['traversal', 'innerTraversal', 'subshell', 'nul'],
  },
];

interface ErrorBody {
  statusCode: number;
  message: { path: string; message: string }[] | string;
}

async function expectRefused(body: Record<string, unknown>, path: string, what: string): Promise<void> {
  const answer = await request<ErrorBody>(`${api.url}/v1/runs`, {
    method: 'POST',
    headers: api.authHeaders,
    json: body,
  });
  expect(answer.status, `${what}: ${JSON.stringify(answer.body).slice(0, 300)}`).toBe(400);
  const messages = answer.body.message as { path: string; message: string }[];
  expect(
    messages.some((m) => m.path === path || m.path.startsWith(`${path}.`)),
    `${what}: ${JSON.stringify(messages).slice(0, 500)}`,
  ).toBe(true);
}

describe('hostile input at the API', { timeout: 120_000 }, () => {
  it('refuses every injection and traversal payload in every field, naming the field; nothing stored or queued', async () => {
    for (const field of FIELDS) {
      for (const payload of field.payloads) {
        const body = { preset: 'smoke-tiny', name: 'hostile', ...field.body(PAYLOADS[payload]) };
        await expectRefused(body, field.path, `${field.path} ← ${payload}`);
      }
    }
    for (const field of EVAL_FIELDS) {
      for (const payload of field.payloads) {
        const body = {
          preset: 'eval-boolq-validation',
          name: 'hostile-eval',
          resources: { gpuCount: 0 },
          spec: { target: field.target(PAYLOADS[payload]) },
        };
        await expectRefused(body, field.path, `${field.path} ← ${payload}`);
      }
    }
    expect(await sql(api.db.url, 'SELECT id FROM runs')).toEqual([]);
    expect(await allJobIds(queue)).toEqual([]);
    expect(existsSync(PWNED)).toBe(false);
  });
});

describe('hostile input at the agent', { timeout: 90_000 }, () => {
  it("writes prime-rl's TOML so that quotes, newlines and brackets stay data (defence in depth)", () => {
    const parsed = parseRunRequest({ preset: 'smoke-tiny' });
    if (!parsed.ok || parsed.value.kind !== 'train') throw new Error('smoke-tiny is not a train preset');
    for (const name of [PAYLOADS.tomlNewline, PAYLOADS.tomlBrackets, PAYLOADS.quotes, PAYLOADS.subshell]) {
      const launch = new ClassicV040Adapter().buildConfig({
        spec: { ...parsed.value.spec, model: name },
        runDir: '/work/runs/r1',
        gpuIds: [0],
        ports: { inference: 8123 },
        envLogPath: '/work/runs/r1/attempt-1/rollouts.jsonl',
        startStep: 0,
        wandb: { name },
      });
      const toml = parse(launch.toml) as {
        model: { name: string };
        wandb: { name: string };
        trainer: { optim: { lr: number } };
        orchestrator: { env: { id: string }[] };
      };
      expect(toml.model.name).toBe(name);
      expect(toml.wandb.name).toBe(name);
      expect(toml.trainer.optim.lr).toBe(parsed.value.spec.learningRate);
      expect(toml.orchestrator.env.map((env) => env.id)).toEqual(['calibrated-qa']);
      // The values travel as arguments, never through a shell, and never as a flag.
      expect(launch.args.some((arg) => arg.includes(name))).toBe(false);
    }
  });

  it('runs a run whose free text is hostile: the text stays data, no file outside the work directory', async () => {
    const agent = startAgent(api, 'hostile-agent');
    const description = [
      PAYLOADS.semicolon,
      PAYLOADS.subshell,
      PAYLOADS.backticks,
      PAYLOADS.tomlNewline,
    ].join('\n');
    const id = await submitTiny(api, 'hostile text ok. -_', { description });
    await untilStatus(api, id, 'succeeded');
    await expectSucceededOnce(api, id);
    const stored = await request<{ description: string; name: string }>(`${api.url}/v1/runs/${id}`, {
      headers: api.authHeaders,
    });
    expect(stored.body.description).toBe(description);

    const toml = parse(readFileSync(join(agent.workDir, 'runs', id, 'rl.toml'), 'utf8')) as {
      wandb: { name: string };
    };
    expect(toml.wandb.name).toBe('hostile text ok. -_-attempt-1');
    const root = realpathSync(agent.workDir);
    for (const file of walk(root)) {
      const real = realpathSync(file);
      expect(relative(root, real).startsWith('..'), `${file} → ${real}`).toBe(false);
    }
    expect(existsSync(PWNED)).toBe(false);
  });

  it('never starts a process through a shell: no shell option, exec or command string in the agent', () => {
    const sources = walk(new URL('../../apps/gpu-agent/src', import.meta.url).pathname).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'),
    );
    expect(sources.length).toBeGreaterThan(20);
    const offenders = sources.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return [
        /\bshell\s*:\s*(true|['"`])/,
        /\bexecaCommand(Sync)?\b/,
        /(?<![.\w])(exec|execSync)\s*\(/, // child_process's; RegExp#exec is a method call
        /from 'node:child_process'/,
        /\$`/,
      ]
        .filter((pattern) => pattern.test(text))
        .map((pattern) => `${file}: ${String(pattern)}`);
    });
    expect(offenders).toEqual([]);
  });
});

/** Every file and link under `dir` (not following links into other trees). */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return walk(path);
    if (entry.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isDirectory()) return [path];
    return [path];
  });
}
