// Postgres and Redis for scripts/start.mjs when none answer: docker compose, or the local binaries
// run inside the project (.data/postgres, .data/redis). node: built-ins only, never a shell.
import { spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { freePort, pingPostgres, pingRedis } from './probes.mjs';
import { capture, isAlive, run, say, StartError, stopPid } from './processes.mjs';

const READY_DEADLINE_MS = 60_000;

/** The first executable `name` on PATH or in `extraDirs`. */
export function findBinary(name, extraDirs = []) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Debian/Ubuntu keep PostgreSQL's server binaries off PATH: /usr/lib/postgresql/<major>/bin, newest first. */
export function postgresBinDirs() {
  try {
    return readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => `/usr/lib/postgresql/${v}/bin`);
  } catch {
    return [];
  }
}

async function majorVersion(binary, pattern) {
  const { stdout } = await capture(binary, ['--version']);
  const match = pattern.exec(stdout);
  return match ? Number(match[1]) : undefined;
}

/** Whether `docker info` answers and `docker compose` exists (5 s each). */
export async function dockerComposeUsable() {
  if (findBinary('docker') === undefined) return { ok: false, why: 'docker is not installed' };
  const info = await capture('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 });
  if (info.code !== 0) return { ok: false, why: 'the Docker engine is not running (`docker info` failed)' };
  const compose = await capture('docker', ['compose', 'version'], { timeoutMs: 10_000 });
  if (compose.code !== 0) return { ok: false, why: 'Docker runs but the compose plugin is missing' };
  return { ok: true };
}

/** `docker compose up -d --wait` for the named services, their host ports taken from the URLs. */
export async function composeUp(services, ports) {
  const env = {
    ...process.env,
    BRIER_POSTGRES_PORT: String(ports.postgres),
    BRIER_REDIS_PORT: String(ports.redis),
  };
  say(`services: docker compose up -d --wait ${services.join(' ')} (up to 3 min)`);
  const args = ['compose', 'up', '-d', '--wait', '--wait-timeout', '180', ...services];
  const { code, timedOut } = await run('docker', args, { env, timeoutMs: 200_000 });
  if (code !== 0) {
    throw new StartError(
      `docker compose up ${timedOut ? 'timed out' : `failed (exit ${code})`}: see its output above`,
    );
  }
}

/** Waits until `ping()` is ok, up to the deadline; fails early if `died()` says the server exited. */
export async function waitUntilAnswers(name, ping, died = () => undefined) {
  const deadline = Date.now() + READY_DEADLINE_MS;
  let last = 'no attempt';
  while (Date.now() < deadline) {
    const result = await ping();
    if (result.ok) return;
    last = result.why;
    const death = died();
    if (death !== undefined) throw new StartError(`${name} exited while starting (${death})`);
    await sleep(500);
  }
  throw new StartError(`${name} did not answer within ${READY_DEADLINE_MS / 1000} s (last: ${last})`);
}

/** The local PostgreSQL binaries (15 or newer), or why there are none. */
export async function localPostgres() {
  const extra = postgresBinDirs();
  const initdb = findBinary('initdb', extra);
  if (initdb === undefined) return { why: 'initdb was not found (on PATH or in /usr/lib/postgresql/*/bin)' };
  const postgres = join(initdb, '..', 'postgres');
  if (!existsSync(postgres)) return { why: `initdb is at ${initdb} but postgres is not next to it` };
  const major = await majorVersion(postgres, /\(PostgreSQL\)\s+(\d+)/);
  if (major === undefined || major < 15)
    return { why: `${postgres} is PostgreSQL ${major ?? '?'}; 15 or newer is needed` };
  if (process.getuid?.() === 0)
    return { why: 'PostgreSQL refuses to run as root: run npm start as a normal user' };
  return { initdb, postgres, pgIsReady: findBinary('pg_isready', extra) };
}

/** The local redis-server (7 or newer), or why there is none. */
export async function localRedis() {
  const server = findBinary('redis-server');
  if (server === undefined) return { why: 'redis-server was not found on PATH' };
  const major = await majorVersion(server, /v=(\d+)/);
  if (major === undefined || major < 7)
    return { why: `${server} is Redis ${major ?? '?'}; 7 or newer is needed` };
  return { server };
}

function logFile(dataDir, name) {
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  return join(dataDir, 'logs', `${name}.log`);
}

/**
 * Runs PostgreSQL from `<dataDir>/postgres` on 127.0.0.1 (initdb on first use, trust auth for the
 * URL's user), reusing one still running from an earlier start. Returns { port, stop() }.
 */
export async function startLocalPostgres(bins, dataDir, user, preferredPort) {
  const dir = join(dataDir, 'postgres');
  const log = logFile(dataDir, 'postgres');
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    say(`services: initdb ${dir} (first run; superuser "${user}", trust auth on 127.0.0.1 only)`);
    const args = ['-D', dir, '-U', user, '--auth=trust', '--encoding=UTF8', '--no-instructions'];
    const { code } = await run(bins.initdb, args, { timeoutMs: 120_000 });
    if (code !== 0) throw new StartError(`initdb failed (exit ${code})`);
  }

  // postmaster.pid: line 1 the pid, line 4 the port.
  const pidFile = join(dir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
    if (isAlive(Number(pid))) {
      const url = new URL(`postgres://127.0.0.1:${port}`);
      say(`services: reusing the PostgreSQL already running from ${dir} (pid ${pid}, port ${port})`);
      await waitUntilAnswers('PostgreSQL', () => pingPostgres(url, bins.pgIsReady));
      return { port: Number(port), stop: () => stopPid(Number(pid), 'SIGINT', 30_000) };
    }
  }

  const port = await freePort(preferredPort);
  say(`services: starting PostgreSQL from ${dir} on 127.0.0.1:${port} (log: ${log})`);
  const out = openSync(log, 'a');
  // Its own process group: a Ctrl-C in the terminal reaches the apps first; we stop it after them.
  const child = spawn(
    bins.postgres,
    ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { detached: true, stdio: ['ignore', out, out] },
  );
  let exit;
  child.once('exit', (code, signal) => (exit = `exit ${code ?? signal}; see ${log}`));
  const url = new URL(`postgres://127.0.0.1:${port}`);
  await waitUntilAnswers(
    'PostgreSQL',
    () => pingPostgres(url, bins.pgIsReady),
    () => exit,
  );
  return { port, stop: () => stopPid(child.pid, 'SIGINT', 30_000) };
}

/**
 * Runs redis-server from `<dataDir>/redis` on 127.0.0.1 with AOF (fsync every second) and
 * noeviction, reusing one still running from an earlier start. Returns { port, stop() }.
 */
export async function startLocalRedis(bins, dataDir, preferredPort) {
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const log = logFile(dataDir, 'redis');
  const pidFile = join(dir, 'redis.pid');
  const portFile = join(dir, 'redis.port');
  if (existsSync(pidFile) && existsSync(portFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    const port = Number(readFileSync(portFile, 'utf8').trim());
    if (isAlive(pid)) {
      say(`services: reusing the Redis already running from ${dir} (pid ${pid}, port ${port})`);
      await waitUntilAnswers('Redis', () => pingRedis(new URL(`redis://127.0.0.1:${port}`)));
      return { port, stop: () => stopPid(pid, 'SIGTERM', 30_000) };
    }
  }

  const port = await freePort(preferredPort);
  say(`services: starting Redis from ${dir} on 127.0.0.1:${port} with AOF + noeviction (log: ${log})`);
  writeFileSync(portFile, `${port}\n`);
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--maxmemory-policy',
    'noeviction',
    '--save',
    '',
    '--pidfile',
    pidFile,
    '--logfile',
    log,
    '--daemonize',
    'no',
  ];
  const child = spawn(bins.server, args, { detached: true, stdio: 'ignore' });
  let exit;
  child.once('exit', (code, signal) => (exit = `exit ${code ?? signal}; see ${log}`));
  await waitUntilAnswers(
    'Redis',
    () => pingRedis(new URL(`redis://127.0.0.1:${port}`)),
    () => exit,
  );
  return { port, stop: () => stopPid(child.pid, 'SIGTERM', 30_000) };
}
