import { setTimeout as sleep } from 'node:timers/promises';

import { AGENT_API, ROLLOUT_API } from '@brier/contracts';

const TICK_MS = 100;
const MAX_IN_FLIGHT = 4;
const PER_STEP = 1024;
const GPUS = [0, 1].map((index) => ({
  index,
  uuid: `GPU-10ad0000-0000-0000-0000-00000000000${index}`,
  name: 'NVIDIA H100 80GB HBM3',
  memoryTotalMiB: 81559,
  memoryUsedMiB: 0,
  driverVersion: '550.54.15',
  cudaVersion: '12.4',
}));

/**
 * An agent as the API sees one, without prime-rl: it registers, claims a run, heartbeats, and
 * streams NDJSON rollout batches (Batch-Id, Lease-Token) at a set rate, the way the gpu-agent's
 * RolloutShipper does, recording each batch's latency.
 */
export class SimulatedAgent {
  constructor({ apiUrl, name, token, records, rate }) {
    Object.assign(this, { apiUrl, name, token, records, rate });
    this.batchLatencies = [];
    this.sequence = 0;
  }

  async request(path, { method = 'POST', body, headers = {}, token = this.token } = {}) {
    const response = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined || typeof body === 'string' ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined || typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  /** Submit a run (as `adminToken`), register, claim it, and heartbeat every 2 s. */
  async start(adminToken) {
    const submitted = await this.request('/v1/runs', {
      body: { preset: 'seed-gemma2-2b-boolq', name: `load test - ${this.name}` },
      token: adminToken,
    });
    if (submitted.status !== 202)
      throw new Error(`submit: ${submitted.status} ${JSON.stringify(submitted.body)}`);
    this.runId = submitted.body.id;
    const registered = await this.request(AGENT_API.register(), {
      body: {
        name: this.name,
        hostname: `${this.name}.load`,
        version: '0.1.0',
        primeRlVersion: 'v0.4.0',
        labels: [],
        gpus: GPUS,
      },
    });
    if (registered.status !== 200)
      throw new Error(`register: ${registered.status} ${JSON.stringify(registered.body)}`);
    this.agent = registered.body;
    const claimed = await this.request(AGENT_API.claim(this.runId), {
      body: { agentId: this.agent.agentId, incarnation: this.agent.incarnation, gpuIndices: [0, 1] },
    });
    if (claimed.status !== 200) throw new Error(`claim: ${claimed.status} ${JSON.stringify(claimed.body)}`);
    this.leaseToken = claimed.body.leaseToken;
    this.heartbeats = setInterval(() => void this.heartbeat(), 2_000);
  }

  async heartbeat() {
    const step = Math.floor(this.sequence / PER_STEP);
    const answer = await this.request(AGENT_API.heartbeat(this.agent.agentId), {
      body: {
        incarnation: this.agent.incarnation,
        gpus: GPUS,
        runs: [{ runId: this.runId, leaseToken: this.leaseToken, step }],
      },
    }).catch((error) => ({ status: 0, body: String(error) }));
    if (answer.status !== 200) this.heartbeatError = `${answer.status} ${JSON.stringify(answer.body)}`;
  }

  /** Stream at `rate` rollouts/s for `ms`; resolves with the rollouts the API accepted and the errors. */
  async stream(ms) {
    const started = performance.now();
    const inFlight = new Set();
    const errors = [];
    let accepted = 0;
    let queued = 0;
    while (performance.now() - started < ms) {
      const due = Math.floor((this.rate * (performance.now() - started)) / 1000);
      if (due > queued && inFlight.size < MAX_IN_FLIGHT) {
        const rows = due - queued;
        queued += rows;
        const sending = this.sendBatch(rows).then(
          (count) => void (accepted += count),
          (error) => void errors.push(String(error.message ?? error)),
        );
        inFlight.add(sending);
        void sending.finally(() => inFlight.delete(sending));
      }
      await sleep(TICK_MS);
    }
    await Promise.all(inFlight);
    if (this.heartbeatError) errors.push(`heartbeat: ${this.heartbeatError}`);
    return { rollouts: accepted, errors };
  }

  async sendBatch(rows) {
    const lines = [];
    const first = this.sequence;
    for (let i = 0; i < rows; i++) {
      const seq = this.sequence++;
      const record = this.records[seq % this.records.length];
      lines.push(`{"step":${Math.floor(seq / PER_STEP)},"sample_key":"${seq % PER_STEP}",${record.slice(1)}`);
    }
    const started = performance.now();
    const answer = await this.request(ROLLOUT_API.rollouts(this.runId), {
      body: `${lines.join('\n')}\n`,
      headers: {
        'content-type': 'application/x-ndjson',
        'batch-id': `${this.name}-${first}`,
        'lease-token': this.leaseToken,
      },
    });
    this.batchLatencies.push(performance.now() - started);
    if (answer.status !== 200)
      throw new Error(`batch at ${first}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.inserted + answer.body.skipped;
  }

  async stop() {
    clearInterval(this.heartbeats);
  }

  /** Rollouts of the run as its per-step metrics count them (the aggregates). */
  async storedRollouts(adminToken) {
    const answer = await this.request(`/v1/runs/${this.runId}/metrics`, { method: 'GET', token: adminToken });
    if (answer.status !== 200) throw new Error(`metrics: ${answer.status}`);
    return answer.body.reduce((sum, step) => sum + step.n, 0);
  }
}
