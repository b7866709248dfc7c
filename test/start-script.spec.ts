import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

// scripts/start/*.mjs are plain JavaScript (they run before `npm ci`): describe what is used here.
type Ping = { ok: true } | { ok: false; reachable: boolean; transient?: boolean; why: string };
interface Probes {
  pingPostgres(url: URL, pgIsReady?: string): Promise<Ping>;
  pingRedis(url: URL): Promise<Ping>;
  freePort(preferred: number): Promise<number>;
  isLoopback(url: URL): boolean;
  shown(url: URL): string;
}
interface StartedChild {
  name: string;
  child: import('node:child_process').ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
}
interface Processes {
  startChild(
    name: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    options?: { ownGroup?: boolean },
  ): StartedChild;
  stopInOrder(
    procs: StartedChild[],
    signal: NodeJS.Signals,
    deadlinesMs: Record<string, number>,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }[]>;
}
interface BuildState {
  installNeeded(root: string): string | undefined;
  buildNeeded(root: string): string | undefined;
  distMissing(root: string): string | undefined;
}
const load = async <T>(path: string): Promise<T> => (await import(new URL(path, import.meta.url).href)) as T;
const probes = await load<Probes>('../scripts/start/probes.mjs');
const buildState = await load<BuildState>('../scripts/start/build-state.mjs');
const processes = await load<Processes>('../scripts/start/processes.mjs');

const POSTGRES = new URL(
  process.env.BRIER_TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
);
const REDIS = new URL(process.env.BRIER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.on('error', () => {}));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

async function closedPort(): Promise<number> {
  const { server, port } = await listening();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('start.mjs protocol pings (real services)', () => {
  it('gets an answer from Postgres and from Redis', async () => {
    await expect(probes.pingPostgres(POSTGRES)).resolves.toEqual({ ok: true });
    await expect(probes.pingRedis(REDIS)).resolves.toEqual({ ok: true });
  });

  it('reports a closed port as unreachable', async () => {
    const port = await closedPort();
    await expect(probes.pingPostgres(new URL(`postgres://127.0.0.1:${port}/x`))).resolves.toMatchObject({
      ok: false,
      reachable: false,
      why: 'ECONNREFUSED',
    });
    await expect(probes.pingRedis(new URL(`redis://127.0.0.1:${port}`))).resolves.toMatchObject({
      ok: false,
      reachable: false,
    });
  });

  it('does not take Redis for Postgres', async () => {
    const redisAsPostgres = new URL(`postgres://127.0.0.1:${REDIS.port || 6379}/x`);
    await expect(probes.pingPostgres(redisAsPostgres)).resolves.toMatchObject({ ok: false, reachable: true });
  });

  it('gives up on a server that accepts but never answers, within its deadline', async () => {
    const { server, port } = await listening();
    try {
      const started = performance.now();
      const ping = await probes.pingRedis(new URL(`redis://127.0.0.1:${port}`));
      expect(ping).toMatchObject({ ok: false, reachable: true });
      expect(ping.ok ? '' : ping.why).toContain('did not answer like Redis');
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      server.close();
    }
  });
});

describe('start.mjs helpers', () => {
  it('keeps a free preferred port, and finds another when it is taken', async () => {
    const free = await closedPort();
    await expect(probes.freePort(free)).resolves.toBe(free);
    const { server, port } = await listening();
    try {
      const other = await probes.freePort(port);
      expect(other).not.toBe(port);
      expect(other).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });

  it('knows local URLs and never prints a password', () => {
    expect(probes.isLoopback(new URL('redis://localhost:6379'))).toBe(true);
    expect(probes.isLoopback(new URL('postgres://[::1]:5432/x'))).toBe(true);
    expect(probes.isLoopback(new URL('postgres://db.example.com/x'))).toBe(false);
    expect(probes.shown(new URL('postgres://u:secret@h/db'))).toBe('postgres://u:***@h/db');
  });
});

describe('start.mjs build and install checks', () => {
  const root = mkdtempSync(join(tmpdir(), 'brier-start-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const at = (path: string, seconds: number, content = ''): void => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
    utimesSync(join(root, path), seconds, seconds);
  };
  const project = { compilerOptions: { outDir: 'dist', tsBuildInfoFile: 'dist/.tsbuildinfo' } };

  it('asks for npm ci when node_modules is missing or older than the lock file', () => {
    at('package-lock.json', 2_000);
    expect(buildState.installNeeded(root)).toBe('node_modules is missing');
    at('node_modules/.package-lock.json', 1_000);
    expect(buildState.installNeeded(root)).toBe('package-lock.json is newer than node_modules');
    at('node_modules/.package-lock.json', 3_000);
    expect(buildState.installNeeded(root)).toBeUndefined();
  });

  it('asks for a build when a dist is missing or older than a source, not a test', () => {
    at('tsconfig.base.json', 1_000, '{}');
    at(
      'tsconfig.build.json',
      1_000,
      JSON.stringify({ files: [], references: [{ path: 'libs/a/tsconfig.build.json' }] }),
    );
    at('libs/a/tsconfig.build.json', 1_000, JSON.stringify({ ...project, references: [{ path: '../b' }] }));
    at('libs/b/tsconfig.json', 1_000, JSON.stringify(project));
    at('libs/a/src/index.ts', 2_000);
    at('libs/b/src/index.ts', 2_000);
    expect(buildState.distMissing(root)).toBe('libs/a/dist');
    expect(buildState.buildNeeded(root)).toBe('libs/a/dist is missing');

    at('libs/a/dist/.tsbuildinfo', 3_000);
    at('libs/b/dist/.tsbuildinfo', 3_000);
    expect(buildState.distMissing(root)).toBeUndefined();
    expect(buildState.buildNeeded(root)).toBeUndefined();

    at('libs/b/src/index.spec.ts', 4_000);
    expect(buildState.buildNeeded(root)).toBeUndefined();
    at('libs/b/src/deep/new.ts', 4_000);
    expect(buildState.buildNeeded(root)).toBe('libs/b has sources newer than its build');
    // The solution file only lists projects: touching it needs no build.
    at('libs/b/dist/.tsbuildinfo', 5_000);
    at(
      'tsconfig.build.json',
      6_000,
      JSON.stringify({ files: [], references: [{ path: 'libs/a/tsconfig.build.json' }] }),
    );
    expect(buildState.buildNeeded(root)).toBeUndefined();
  });
});

describe('start.mjs stopping the apps', () => {
  it('stops the agent first and the API only once the agent has exited (it reports its runs to the API)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brier-stop-order-'));
    try {
      const journal = join(dir, 'journal');
      // Each app notes when it is signalled and when it is done; the agent takes 300 ms to stop.
      const app = (name: string, stopMs: number) => [
        '-e',
        `const fs = require('fs');
         const note = (what) => fs.appendFileSync(${JSON.stringify(journal)}, '${name} ' + what + '\\n');
         process.on('SIGINT', () => { note('signalled'); setTimeout(() => { note('done'); process.exit(0); }, ${stopMs}); });
         console.log('ready');
         setInterval(() => {}, 1000);`,
      ];
      const api = processes.startChild('api', process.execPath, app('api', 0), process.env, {
        ownGroup: true,
      });
      const agent = processes.startChild('agent', process.execPath, app('agent', 300), process.env);
      await new Promise((resolve) => setTimeout(resolve, 500)); // both have their handlers by now
      const outcomes = await processes.stopInOrder([agent, api], 'SIGINT', { agent: 5_000, api: 5_000 });
      expect(outcomes).toEqual([
        { code: 0, signal: null },
        { code: 0, signal: null },
      ]);
      expect(readFileSync(journal, 'utf8').trim().split('\n')).toEqual([
        'agent signalled',
        'agent done',
        'api signalled',
        'api done',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
