// The load test of issue 6 (docs/reliability.md, "Load"): READERS concurrent clients reading metrics
// and runs (autocannon) while AGENTS simulated agents stream rollouts through the agent API at RATE
// rollouts/s in total, for SECONDS. The API runs as its own process (the built apps/api/dist) on a
// fresh database and Redis prefix; this process is the clients, on loopback. Results:
// bench-results/load.json, and a summary on stdout. `npm run load` (LOAD_SECONDS, LOAD_READERS,
// LOAD_AGENTS, LOAD_RATE override the defaults). Needs `npm run build` first.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import autocannon from 'autocannon';

import { createBenchDatabase, percentile, startBenchApi } from '../bench/bench-api.mjs';
import { makeGenerations } from '../bench/make-generations.mjs';
import { mintToken } from './load-tokens.mjs';
import { SimulatedAgent } from './simulated-agent.mjs';

const root = new URL('../../', import.meta.url).pathname;
const SECONDS = Number(process.env.LOAD_SECONDS ?? 30);
const READERS = Number(process.env.LOAD_READERS ?? 200);
const AGENTS = Number(process.env.LOAD_AGENTS ?? 4);
const RATE = Number(process.env.LOAD_RATE ?? 5000);
const round = (x, digits = 2) => Number(x.toFixed(digits));

async function json(response, what) {
  const body = await response.json();
  if (!response.ok) throw new Error(`${what} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

/** The seed's published run, imported: what the readers read (50 steps of real aggregates). */
async function importSeed(api, token) {
  const form = new FormData();
  form.append('name', 'load test - the seed run');
  for (const name of ['calibration_metrics.csv', 'orchestrator.stdout']) {
    form.append('files', new Blob([readFileSync(join(root, 'examples/seed-run', name))]), name);
  }
  const headers = { authorization: `Bearer ${token}` };
  return (await json(await fetch(`${api.url}/v1/imports`, { method: 'POST', headers, body: form }), 'import'))
    .id;
}

/** Rollout lines to stream: generations.jsonl records (prompts, completions), reused round-robin. */
async function rolloutRecords() {
  const path = join(tmpdir(), `brier-load-${process.pid}.jsonl`);
  await makeGenerations(path, { steps: 1, batchSize: 1024, rolloutsPerExample: 8 });
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}

async function main() {
  const database = await createBenchDatabase();
  // The API's default limits: the agents' batch rate is well within them, reads have none.
  const api = await startBenchApi(database.url);
  try {
    const admin = await mintToken(database.url, { name: 'load-admin', role: 'admin' });
    const viewer = await mintToken(database.url, { name: 'load-readers', role: 'viewer' });
    const seedRun = await importSeed(api, admin);
    const records = await rolloutRecords();
    const agents = [];
    for (let i = 0; i < AGENTS; i++) {
      const name = `load-agent-${i}`;
      const token = await mintToken(database.url, { name, role: 'agent', agentName: name });
      const agent = new SimulatedAgent({ apiUrl: api.url, name, token, records, rate: RATE / AGENTS });
      await agent.start(admin);
      agents.push(agent);
    }

    const readPaths = [
      `/v1/runs/${seedRun}/metrics`,
      `/v1/runs/${seedRun}/reliability?group=5`,
      '/v1/runs?limit=20',
      `/v1/runs/${seedRun}`,
      `/v1/runs/${agents[0].runId}/metrics`,
    ];
    const started = performance.now();
    const streaming = agents.map((agent) => agent.stream(SECONDS * 1000));
    const readers = await autocannon({
      url: api.url,
      connections: READERS,
      duration: SECONDS,
      headers: { authorization: `Bearer ${viewer}` },
      requests: readPaths.map((path) => ({ method: 'GET', path })),
      timeout: 10,
    });
    const sent = await Promise.all(streaming);
    const elapsed = (performance.now() - started) / 1000;
    for (const agent of agents) await agent.stop();

    const stored = [];
    for (const agent of agents) stored.push(await agent.storedRollouts(admin));
    const batchLatencies = agents.flatMap((agent) => agent.batchLatencies);
    const result = {
      name: 'load',
      when: new Date().toISOString(),
      setup: { seconds: SECONDS, readers: READERS, agents: AGENTS, targetRolloutsPerSecond: RATE, readPaths },
      readers: {
        requests: readers.requests.total,
        requestsPerSecond: round(readers.requests.average, 1),
        latencyMs: {
          p50: readers.latency.p50,
          p90: readers.latency.p90,
          p99: readers.latency.p99,
          max: readers.latency.max,
        },
        errors: readers.errors,
        timeouts: readers.timeouts,
        non2xx: readers.non2xx,
      },
      agents: {
        rolloutsSent: sent.reduce((a, s) => a + s.rollouts, 0),
        rolloutsPerSecond: round(sent.reduce((a, s) => a + s.rollouts, 0) / elapsed, 1),
        batches: batchLatencies.length,
        batchErrors: sent.reduce((a, s) => a + s.errors.length, 0),
        firstErrors: sent.flatMap((s) => s.errors).slice(0, 5),
        batchLatencyMs: {
          p50: round(percentile(batchLatencies, 50)),
          p99: round(percentile(batchLatencies, 99)),
          max: round(Math.max(...batchLatencies)),
        },
      },
      rolloutsStored: stored.reduce((a, n) => a + n, 0),
    };
    result.allStored = result.rolloutsStored === result.agents.rolloutsSent;
    mkdirSync(join(root, 'bench-results'), { recursive: true });
    writeFileSync(join(root, 'bench-results/load.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
    if (!result.allStored || result.readers.errors + result.readers.non2xx + result.agents.batchErrors > 0) {
      process.exitCode = 1;
    }
  } finally {
    await api.stop();
    await sleep(100);
    await database.drop();
  }
}

await main();
