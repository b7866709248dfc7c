import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import { Redis, type RedisOptions } from 'ioredis';

import { redisAnswersPing, waitFor } from '../../../apps/api/test/support/runs-fixtures.js';

/**
 * redis-server processes of a test's own (never the shared one): one with TLS and a password, or a
 * 3-node Redis Cluster. Each lives in a temporary directory; `stop()` kills it and removes that.
 */
export interface PrivateRedis {
  /** The URL a Brier process is given (REDIS_URL). */
  url: string;
  /** Ports of the node(s). */
  ports: number[];
  /** For rediss://: the CA certificate's file (REDIS_TLS_CA_FILE). */
  caFile?: string;
  stop(): Promise<void>;
}

/** Fails with what to install when a binary is missing (CI has them; `apt-get install redis-server openssl`). */
export function requireBinaries(...names: string[]): void {
  const path = (process.env['PATH'] ?? '').split(delimiter);
  for (const name of names) {
    if (!path.some((dir) => existsSync(join(dir, name)))) {
      throw new Error(
        `${name} is not installed: the scaling tests need it (apt-get install redis-server openssl)`,
      );
    }
  }
}

/** A redis-server on a free port with TLS only (`--port 0`), `requirepass`, and a fresh self-signed certificate. */
export async function startTlsRedis(password: string): Promise<PrivateRedis> {
  requireBinaries('redis-server', 'openssl');
  const dir = mkdtempSync(join(tmpdir(), 'brier-redis-tls-'));
  const [cert, key] = [join(dir, 'redis.crt'), join(dir, 'redis.key')];
  // The certificate is its own CA; its IP SAN lets clients verify 127.0.0.1.
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' }); // prettier-ignore
  const port = await freePortPair();
  const child = spawnRedis(dir, [
    '--port', '0', '--tls-port', String(port), '--tls-cert-file', cert, '--tls-key-file', key,
    '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no', '--requirepass', password,
  ]); // prettier-ignore
  await untilPong(port, { tls: { ca: readFileSync(cert) }, password }, child);
  return {
    url: `rediss://:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    ports: [port],
    caFile: cert,
    stop: () => stopAll([child], dir),
  };
}

/** Three masters (no replicas) on free ports, slots spread by `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<PrivateRedis> {
  requireBinaries('redis-server', 'redis-cli');
  const dir = mkdtempSync(join(tmpdir(), 'brier-redis-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePortPair();
      ports.push(port);
      const child = spawnRedis(dir, [
        '--port', String(port), '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-node-timeout', '2000',
      ]); // prettier-ignore
      children.push(child);
      await untilPong(port, {}, child);
    }
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    execFileSync('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], {
      stdio: 'ignore',
      timeout: 20_000,
    });
    for (const port of ports) {
      await waitFor(
        async () => {
          const node = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
          node.on('error', () => undefined);
          try {
            await node.connect();
            return String(await node.cluster('INFO')).includes('cluster_state:ok');
          } catch {
            return false;
          } finally {
            node.disconnect();
          }
        },
        { timeoutMs: 15_000, intervalMs: 200, what: `cluster node ${port} to be ok` },
      );
    }
  } catch (error) {
    await stopAll(children, dir);
    throw error;
  }
  return { url: `redis://127.0.0.1:${ports[0]}`, ports, stop: () => stopAll(children, dir) };
}

function spawnRedis(dir: string, args: string[]): ChildProcess {
  return spawn('redis-server', ['--save', '', '--appendonly', 'no', '--dir', dir, ...args], {
    stdio: 'ignore',
  });
}

async function untilPong(port: number, options: RedisOptions, child: ChildProcess): Promise<void> {
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited (${child.exitCode})`);
      return redisAnswersPing({ port, host: '127.0.0.1', ...options });
    },
    { timeoutMs: 10_000, intervalMs: 100, what: `redis-server on port ${port}` },
  );
}

async function stopAll(children: ChildProcess[], dir: string): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    }),
  );
  rmSync(dir, { recursive: true, force: true });
}

/** A free port whose cluster bus port (+10000) is free too. */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await canBind(port)) && (await canBind(port + 10_000))) return port;
  }
  throw new Error('no free port pair for redis-server');
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
