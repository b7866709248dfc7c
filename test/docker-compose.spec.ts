import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DCLinter } from 'dclint';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const composePath = fileURLToPath(new URL('../docker-compose.yml', import.meta.url));
const source = readFileSync(composePath, 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string | string[]; interval?: string };
  volumes?: string[];
  init?: boolean;
  stop_grace_period?: string;
  deploy?: { resources?: { reservations?: { devices?: { driver?: string; capabilities?: string[] }[] } } };
}
const compose = parse(source) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const service = (name: string): Service => {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`no service "${name}" in docker-compose.yml`);
  return found;
};

// dclint 3.1's declaration files use extension-less relative imports, which NodeNext can't
// follow, so its types come out as `any`: this is the part of its API the test uses.
interface LintMessage {
  rule: string;
  type: 'error' | 'warning';
  message: string;
  line: number;
  column: number;
}
interface Linter {
  lintFiles(paths: string[], recursive: boolean): { messages: LintMessage[] }[];
}
const Linter = DCLinter as unknown as new (config: object) => Linter;

/** dclint with every rule at its default level: the Compose JSON schema first, then its rules. */
function lint(path: string): { errors: string[]; warnings: string[] } {
  const linter = new Linter({ rules: {}, quiet: true, debug: false, exclude: [] });
  const messages = linter.lintFiles([path], false).flatMap((result) => result.messages);
  const show = (m: LintMessage): string => `${m.line}:${m.column} ${m.rule}: ${m.message}`;
  return {
    errors: messages.filter((m) => m.type === 'error').map(show),
    warnings: messages.filter((m) => m.type === 'warning').map(show),
  };
}

const scratch = mkdtempSync(join(tmpdir(), 'brier-compose-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function lintVariant(name: string, content: string): string[] {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return lint(path).errors;
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose schema and clean under every dclint rule', () => {
    expect(lint(composePath)).toEqual({ errors: [], warnings: [] });
  });

  it('would be caught with a misspelled key, an unknown top-level key or a wrong type', () => {
    expect(source).toContain('    healthcheck:\n');
    const misspelled = lintVariant(
      'misspelled.yml',
      source.replace('    healthcheck:\n', '    healtcheck:\n'),
    );
    expect(misspelled).toEqual([expect.stringContaining('invalid-schema')]);

    expect(lintVariant('top-level.yml', `${source}\nservice:\n  api: {}\n`)).toEqual([
      expect.stringContaining('invalid-schema'),
    ]);
    expect(lintVariant('wrong-type.yml', source.replace('init: true', 'init: [true]'))).toEqual([
      expect.stringContaining('invalid-schema'),
    ]);
  });

  it('runs Postgres 16 with a volume', () => {
    expect(service('postgres').image).toMatch(/^postgres:16(\.\d+)*(-[\w.-]+)?$/);
    expect(service('postgres').volumes).toEqual([
      expect.stringMatching(/^postgres-data:\/var\/lib\/postgresql\/data$/),
    ]);
  });

  it('runs Redis 7 with AOF every second and noeviction, as BullMQ requires', () => {
    const redis = service('redis');
    expect(redis.image).toMatch(/^redis:7(\.\d+)*(-[\w.-]+)?$/);
    const command = Array.isArray(redis.command) ? redis.command : (redis.command ?? '').split(/\s+/);
    const option = (name: string): string | undefined => command[command.indexOf(name) + 1];
    expect(command[0]).toBe('redis-server');
    expect(option('--appendonly')).toBe('yes');
    expect(option('--appendfsync')).toBe('everysec');
    expect(option('--maxmemory-policy')).toBe('noeviction');
    expect(redis.volumes).toEqual([expect.stringMatching(/^redis-data:\/data$/)]);
  });

  it('gives the agent an init process, a long stop grace period and the GPUs', () => {
    const agent = service('gpu-agent');
    expect(agent.init).toBe(true);
    expect(agent.stop_grace_period).toBe('60s');
    const devices = agent.deploy?.resources?.reservations?.devices ?? [];
    expect(devices).toContainEqual(expect.objectContaining({ driver: 'nvidia', capabilities: ['gpu'] }));
  });

  it('has a healthcheck on every service, and starts the api only once its services are healthy', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'gpu-agent', 'postgres', 'redis']);
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.healthcheck?.test, `${name} healthcheck`).toBeDefined();
      expect(s.healthcheck?.test?.length, `${name} healthcheck`).toBeGreaterThan(0);
    }
    expect(String(service('api').healthcheck?.test)).toContain('/health');
    expect(service('api').depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(service('gpu-agent').depends_on?.api).toEqual({ condition: 'service_healthy' });
  });

  it('builds one image for the api and the agent, with different commands', () => {
    expect(service('api').build).toBeDefined();
    expect(service('gpu-agent').image).toBe(service('api').image);
    expect(service('api').command).toEqual(['node', 'apps/api/dist/main.js']);
    expect(service('gpu-agent').command).toEqual(['node', 'apps/gpu-agent/dist/main.js']);
  });

  it('bakes in no secrets: tokens are passed through from the host', () => {
    const agentEnv = service('gpu-agent').environment ?? {};
    expect(agentEnv).toHaveProperty('AGENT_API_TOKEN', null);
    expect(agentEnv).toHaveProperty('HF_TOKEN', null);
    expect(agentEnv).toHaveProperty('WANDB_API_KEY', null);
    expect(source).not.toMatch(/hf_[A-Za-z0-9]{8,}/);
    expect(service('postgres').environment?.POSTGRES_PASSWORD).toBe('${POSTGRES_PASSWORD:-}');
  });
});
