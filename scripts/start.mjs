#!/usr/bin/env node
// `npm start`: Brier on this machine in one command.
//   (a) npm ci, if node_modules is missing or older than package-lock.json
//   (b) npm run build, if a package's dist is missing or older than its sources
//   (c) Postgres and Redis: use them if they answer at DATABASE_URL / REDIS_URL; else start them
//       with docker compose; else from local binaries in .data/; else say what to install
//   (d) create the database named in DATABASE_URL, if missing
//   (e) npm run db:migrate --if-present
//   (e') API tokens: the first admin token on a fresh installation (printed once), a new agent
//       token for the local agent on every start (start/start-tokens.mjs)
//   (f) run the API and a local gpu-agent, wait for GET /health, forward Ctrl-C / SIGTERM to both
//       (`--demo`: the agent drives a simulated prime-rl on two simulated GPUs; see start/demo-agent.mjs)
// Only node: built-ins are imported up front, so this runs before `npm ci`. No shell anywhere.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { buildNeeded, installNeeded } from './start/build-state.mjs';
import {
  composeUp,
  dockerComposeUsable,
  findBinary,
  localPostgres,
  localRedis,
  postgresBinDirs,
  startLocalPostgres,
  startLocalRedis,
  waitUntilAnswers,
} from './start/local-services.mjs';
import { freePort, isLoopback, pingPostgres, pingRedis, portOf, shown } from './start/probes.mjs';
import { npm, run, say, StartError, startChild, stopInOrder } from './start/processes.mjs';
import { demoAgentEnv } from './start/demo-agent.mjs';
import { seedExample } from './start/seed-example.mjs';
import { ensureStartTokens } from './start/start-tokens.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Local state (databases, logs); BRIER_DATA_DIR moves it, e.g. for a second checkout.
const DATA_DIR = resolve(process.env.BRIER_DATA_DIR || join(ROOT, '.data'));
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/brier';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const HEALTH_DEADLINE_MS = 60_000;
const STOP_DEADLINE_MS = { api: 30_000, agent: 70_000 }; // the agent may finish a job's shutdown first
const STOP_ORDER = ['agent', 'api'];

/** Services started here, stopped (in reverse) after the apps. */
const services = [];
/** The API and agent child processes. */
const apps = [];
/** 'setup' → 'running' → 'stopping' */
let phase = 'setup';

process.chdir(ROOT);

async function main() {
  // (a) dependencies
  const install = installNeeded(ROOT);
  if (install === undefined) {
    say('dependencies: node_modules is up to date with package-lock.json, no npm ci');
  } else {
    say(`dependencies: ${install}: running npm ci`);
    await step('npm ci', npm(['ci']), 15 * 60_000);
  }

  // (b) build
  const build = buildNeeded(ROOT);
  if (build === undefined) {
    say('build: every package is built and newer than its sources, no npm run build');
  } else {
    say(`build: ${build}: running npm run build`);
    await step('npm run build', npm(['run', 'build']), 10 * 60_000);
  }

  // (c) services
  const databaseUrl = urlFromEnv('DATABASE_URL', DEFAULT_DATABASE_URL, ['postgres:', 'postgresql:']);
  const redisUrl = urlFromEnv('REDIS_URL', DEFAULT_REDIS_URL, ['redis:', 'rediss:']);
  const serviceEnv = await ensureServices(databaseUrl, redisUrl);
  // Every child (migrations, API, agent) gets the URLs this script settled on.
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl.toString(),
    REDIS_URL: redisUrl.toString(),
    ...serviceEnv,
  };

  // (d) database
  await ensureDatabase(new URL(env.DATABASE_URL ?? databaseUrl.toString()));

  // (e) migrations
  const hasMigrate =
    'db:migrate' in (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts ?? {});
  say(
    `migrations: npm run db:migrate --if-present${hasMigrate ? '' : ' (no db:migrate script yet: nothing to run)'}`,
  );
  await step('npm run db:migrate', npm(['run', 'db:migrate', '--if-present']), 10 * 60_000, env);

  // (e') tokens
  const tokens = await ensureStartTokens(env.DATABASE_URL, { say });

  // (f) the API and the agent
  await startApps(env, tokens);
}

async function step(what, [command, args], timeoutMs, env = process.env) {
  const { code, signal, timedOut } = await run(command, args, { env, timeoutMs });
  if (code === 0) return;
  const how = timedOut ? `took longer than ${timeoutMs / 60_000} min` : `failed (${code ?? signal})`;
  throw new StartError(`${what} ${how}; see its output above`);
}

function urlFromEnv(variable, fallback, protocols) {
  const raw = process.env[variable] || fallback;
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new StartError(`${variable} is not a URL`);
  }
  if (!protocols.includes(url.protocol)) throw new StartError(`${variable} must be a ${protocols[0]}// URL`);
  return url;
}

async function ensureServices(databaseUrl, redisUrl) {
  const pgIsReady = findBinary('pg_isready', postgresBinDirs());
  const wanted = [
    {
      key: 'postgres',
      label: 'PostgreSQL',
      variable: 'DATABASE_URL',
      url: databaseUrl,
      ping: (u) => pingPostgres(u, pgIsReady),
    },
    { key: 'redis', label: 'Redis', variable: 'REDIS_URL', url: redisUrl, ping: (u) => pingRedis(u) },
  ];
  const missing = [];
  for (const service of wanted) {
    const result = await service.ping(service.url);
    if (result.ok) {
      say(`services: ${service.label} answers at ${shown(service.url)}`);
      continue;
    }
    say(`services: ${service.label} does not answer at ${shown(service.url)} (${result.why})`);
    if (result.transient) {
      say(`services: waiting for ${service.label} to finish starting`);
      await waitUntilAnswers(service.label, () => service.ping(service.url));
      say(`services: ${service.label} answers at ${shown(service.url)}`);
      continue;
    }
    if (result.reachable) {
      throw new StartError(
        `something listens at ${shown(service.url)} but it is not a usable ${service.label}: fix it or set ${service.variable}`,
      );
    }
    if (!isLoopback(service.url)) {
      throw new StartError(
        `${service.label} at ${shown(service.url)} is not on this machine: start it there, or set ${service.variable}`,
      );
    }
    missing.push(service);
  }
  if (missing.length === 0) return {};

  const docker = await dockerComposeUsable();
  if (docker.ok) {
    const ports = { postgres: portOf(databaseUrl, 5432), redis: portOf(redisUrl, 6379) };
    await composeUp(
      missing.map((s) => s.key),
      ports,
    );
    for (const service of missing) {
      await waitUntilAnswers(service.label, () => service.ping(service.url));
      say(`services: ${service.label} answers at ${shown(service.url)} (docker compose)`);
    }
    return {};
  }
  say(`services: not using Docker: ${docker.why}`);

  const binaries = {};
  const problems = [];
  for (const service of missing) {
    const found = service.key === 'postgres' ? await localPostgres() : await localRedis();
    if (found.why === undefined) binaries[service.key] = found;
    else problems.push({ ...service, why: found.why });
  }
  if (problems.length > 0) throw new StartError(whatToInstall(docker.why, problems));

  const env = {};
  if (binaries.postgres !== undefined) {
    const user = decodeURIComponent(databaseUrl.username) || 'postgres';
    const started = await startLocalPostgres(binaries.postgres, DATA_DIR, user, portOf(databaseUrl, 5432));
    services.push({ name: 'PostgreSQL', stop: started.stop });
    const url = new URL(databaseUrl);
    Object.assign(url, { hostname: '127.0.0.1', port: String(started.port), password: '' });
    env.DATABASE_URL = url.toString();
    say(`services: PostgreSQL answers at ${shown(url)} (local, DATABASE_URL set for the apps)`);
  }
  if (binaries.redis !== undefined) {
    const started = await startLocalRedis(binaries.redis, DATA_DIR, portOf(redisUrl, 6379));
    services.push({ name: 'Redis', stop: started.stop });
    const db = /^\/\d+$/.test(redisUrl.pathname) ? redisUrl.pathname : '';
    env.REDIS_URL = `redis://127.0.0.1:${started.port}${db}`;
    say(`services: Redis answers at ${env.REDIS_URL} (local, REDIS_URL set for the apps)`);
  }
  return env;
}

function whatToInstall(dockerWhy, problems) {
  const install = problems.map((p) =>
    p.key === 'postgres' ? 'PostgreSQL 15+ (initdb and postgres)' : 'Redis 7+ (redis-server)',
  );
  return [
    `${problems.map((p) => p.label).join(' and ')} ${problems.length > 1 ? 'are' : 'is'} not running, and cannot be started here:`,
    `  Docker: ${dockerWhy}`,
    ...problems.map((p) => `  ${p.label}: ${p.why}`),
    `Install Docker (with the compose plugin), or ${install.join(' and ')}, then run npm start again.`,
    `Or point ${problems.map((p) => p.variable).join(' / ')} at servers that are already running.`,
  ].join('\n');
}

function quoteIdentifier(name) {
  return `"${name.replaceAll('"', '""')}"`;
}

async function ensureDatabase(databaseUrl) {
  const name = decodeURIComponent(databaseUrl.pathname.replace(/^\//, ''));
  if (name === '') {
    say('database: DATABASE_URL names no database, nothing to create');
    return;
  }
  const { default: pg } = await import('pg');
  let lastError;
  // Any database will do to look: `postgres` normally exists, `template1` always does.
  for (const maintenance of ['postgres', 'template1']) {
    const url = new URL(databaseUrl);
    url.pathname = `/${maintenance}`;
    const client = new pg.Client({
      connectionString: url.toString(),
      connectionTimeoutMillis: 5_000,
      query_timeout: 30_000,
    });
    try {
      await client.connect();
    } catch (error) {
      lastError = error;
      await client.end().catch(() => {});
      if (error.code === '3D000') continue; // no such database
      break;
    }
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount > 0) {
        say(`database: "${name}" exists`);
      } else {
        await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`).catch((error) => {
          if (error.code !== '42P04') throw error; // created meanwhile by someone else: fine
        });
        say(`database: created "${name}"`);
      }
      return;
    } catch (error) {
      throw new StartError(`cannot create database "${name}": ${error.message}`);
    } finally {
      await client.end().catch(() => {});
    }
  }
  throw new StartError(`cannot connect to PostgreSQL at ${shown(databaseUrl)}: ${lastError?.message}`);
}

function describeExit({ code, signal }) {
  return code !== null ? `exit code ${code}` : `signal ${signal}`;
}

async function startApps(baseEnv, tokens) {
  const port = Number(process.env.PORT || 3000);
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new StartError('PORT must be a port number');
  if ((await freePort(port)) !== port) {
    throw new StartError(
      `port ${port} on 127.0.0.1 is taken: stop what uses it, or set PORT to another port`,
    );
  }
  const env = { ...baseEnv, PORT: String(port) };
  // Nest colours its logs; keep that for a terminal only.
  if (!process.stdout.isTTY) env.NO_COLOR = '1';
  const apiUrl = `http://127.0.0.1:${port}`;

  say(
    `apps: starting the API (node apps/api/dist/main.js) and a local gpu-agent (node apps/gpu-agent/dist/main.js)`,
  );
  // The API is stopped after the agent (which reports its runs to it), so Ctrl-C must not reach it directly.
  apps.push(startChild('api', process.execPath, ['apps/api/dist/main.js'], env, { ownGroup: true }));
  const demo = process.argv.includes('--demo');
  if (demo) say('demo: the agent drives a simulated prime-rl on two simulated H100s (no GPU needed)');
  apps.push(
    startChild('agent', process.execPath, ['apps/gpu-agent/dist/main.js'], {
      ...env,
      API_URL: process.env.API_URL || apiUrl,
      AGENT_API_TOKEN: process.env.AGENT_API_TOKEN || tokens.agentToken,
      ...(demo ? demoAgentEnv(ROOT, DATA_DIR) : {}),
    }),
  );
  phase = 'running';
  for (const app of apps) {
    void app.exited.then((outcome) => {
      if (phase !== 'running') return;
      say(`${app.name} exited unexpectedly (${describeExit(outcome)}): stopping everything`);
      void shutdown('SIGTERM', 1);
    });
  }

  const healthUrl = `${apiUrl}/health`;
  const deadline = Date.now() + HEALTH_DEADLINE_MS;
  let last;
  while (phase === 'running') {
    try {
      const response = await fetch(healthUrl, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) break;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    if (Date.now() > deadline) {
      throw new StartError(
        `GET ${healthUrl} did not answer 200 within ${HEALTH_DEADLINE_MS / 1000} s (last: ${last})`,
      );
    }
    await sleep(500);
  }
  if (phase !== 'running') return;
  say(`Brier is up: ${apiUrl} (GET /health answers 200); the admin panel: ${apiUrl}/admin. Ctrl-C stops it.`);
  // A fresh installation's first run: the seed's published run (only when there is no run yet),
  // imported with the admin token this start created (a later start does not know one).
  if (tokens.adminToken !== null) await seedExample(apiUrl, { root: ROOT, token: tokens.adminToken, say });
}

/** Stops the apps (signal, then SIGKILL past a deadline), then the services started here, then exits. */
async function shutdown(signal, exitCode) {
  if (phase === 'stopping') {
    if (signal === 'SIGINT') {
      say('second Ctrl-C: killing the apps now');
      for (const app of apps) if (app.isRunning()) app.child.kill('SIGKILL');
    }
    return;
  }
  phase = 'stopping';
  // The agent first: it stops its runs and reports them to the API, which must still be up.
  const ordered = STOP_ORDER.map((name) => apps.find((app) => app.name === name)).filter(Boolean);
  const running = ordered.filter((app) => app.isRunning());
  if (running.length > 0) say(`stopping ${running.map((app) => app.name).join(', then ')} (${signal})`);
  const outcomes = await stopInOrder(ordered, signal, STOP_DEADLINE_MS, (app, outcome) =>
    say(`${app.name} exited (${describeExit(outcome)})`),
  );
  await stopServices();
  const clean = outcomes.every((o) => o.code === 0 || o.signal === signal);
  process.exit(exitCode ?? (clean ? 0 : 1));
}

async function stopServices() {
  for (const service of services.reverse()) {
    say(`services: stopping the ${service.name} started here`);
    if (!(await service.stop())) say(`services: ${service.name} did not stop within 30 s`);
  }
  services.length = 0;
}

function onStopRequest(signal, why) {
  if (phase === 'setup') {
    say(`${why} during setup: stopping`);
    phase = 'stopping';
    void stopServices().then(() => process.exit(1));
  } else {
    if (phase === 'running' && why !== signal) say(`${why}: stopping`);
    void shutdown(signal);
  }
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => onStopRequest(signal, signal));

// `npm start` runs this under `sh -c`; a SIGTERM sent to npm kills that shell without passing the
// signal on, and this process is re-parented. Treat losing the parent like SIGTERM (checked each second).
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent && phase !== 'stopping') onStopRequest('SIGTERM', 'parent process exited');
}, 1_000).unref();

main().catch(async (error) => {
  console.error(error instanceof StartError ? `[start] ${error.message}` : error);
  if (apps.length > 0) await shutdown('SIGTERM', 1);
  await stopServices();
  process.exit(1);
});
