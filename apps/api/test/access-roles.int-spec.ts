import { AGENT_API } from '@brier/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { claimed, createRun, registerAgent } from './support/agent-api.js';
import { startTestApi, type TestApi } from './support/test-api.js';
import { bearer, mintToken } from './support/test-tokens.js';

// Every role against every route family (docs/security.md), on one API with real Postgres and Redis.

type Caller = 'none' | 'bad' | 'revoked' | 'admin' | 'alice' | 'bob' | 'viewer' | 'agent' | 'otherAgent';

let api: TestApi;
const headers = {} as Record<Caller, Record<string, string>>;
let aliceRun: string;
let leasedRun: string;
let leaseToken: string;
let agentId: string;

async function call(
  caller: Caller,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { ...headers[caller], ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  const parsed = text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {};
  return { status: response.status, body: parsed };
}

async function submitAs(caller: Caller, name: string): Promise<string> {
  const answer = await call(caller, 'POST', '/v1/runs', { kind: 'train', preset: 'smoke-tiny', name });
  if (answer.status !== 202)
    throw new Error(`submit as ${caller}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body['id'] as string;
}

beforeAll(async () => {
  api = await startTestApi({ REAPER_INTERVAL_MS: '0' });
  const revoked = await mintToken(api.app, 'admin', 'gone');
  const otherAgent = await mintToken(api.app, 'agent', 'other-host');
  Object.assign(headers, {
    none: {},
    bad: bearer('brier_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
    revoked: revoked.headers,
    admin: api.authHeaders,
    alice: (await mintToken(api.app, 'researcher', 'alice')).headers,
    bob: (await mintToken(api.app, 'researcher', 'bob')).headers,
    viewer: (await mintToken(api.app, 'viewer', 'vera')).headers,
    agent: bearer(api.agentToken),
    otherAgent: otherAgent.headers,
  });
  expect((await call('admin', 'DELETE', `/v1/tokens/${revoked.id}`)).status).toBe(200);

  aliceRun = await submitAs('alice', 'alice-run');
  const agent = await registerAgent({ ...api, authHeaders: headers.agent }, 'roles-agent');
  agentId = agent.agentId;
  leasedRun = await createRun(api, { gpuCount: 1, labels: [] });
  leaseToken = (await claimed(agent.claim(leasedRun))).leaseToken;
});
afterAll(() => api?.close());

const READ_ROUTES = (): string[] => [
  '/v1/runs',
  `/v1/runs/${aliceRun}`,
  `/v1/runs/${aliceRun}/events`,
  `/v1/runs/${aliceRun}/attempts`,
  `/v1/runs/${aliceRun}/metrics`,
  `/v1/runs/${aliceRun}/rollouts`,
  `/v1/runs/${aliceRun}/logs`,
  `/v1/compare?runs=${aliceRun}`,
  '/v1/agents',
  `/v1/agents/${agentId}`,
  '/v1/presets',
  '/v1/admin/queue',
];

describe('access: who may call what', () => {
  it('GET /health needs no token; every other route answers 401 without a live token', async () => {
    expect((await call('none', 'GET', '/health')).status).toBe(200);
    for (const caller of ['none', 'bad', 'revoked'] as const) {
      for (const path of [...READ_ROUTES(), '/v1/tokens', '/v1/session']) {
        const answer = await call(caller, 'GET', path);
        expect({ caller, path, status: answer.status }).toEqual({ caller, path, status: 401 });
        expect(answer.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      }
      expect((await call(caller, 'POST', '/v1/runs', { preset: 'smoke-tiny' })).status).toBe(401);
      expect((await call(caller, 'POST', AGENT_API.register(), {})).status).toBe(401);
    }
  });

  it('reads: admin, researcher and viewer may; an agent token may not', async () => {
    for (const path of READ_ROUTES()) {
      for (const caller of ['admin', 'alice', 'viewer'] as const) {
        expect({ caller, path, status: (await call(caller, 'GET', path)).status }).toEqual({
          caller,
          path,
          status: 200,
        });
      }
      const agent = await call('agent', 'GET', path);
      expect({ path, status: agent.status }).toEqual({ path, status: 403 });
      expect(agent.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
    }
  });

  it('submit: admin and researchers; viewers and agents get 403. Runs are owned by the token name', async () => {
    expect((await call('viewer', 'POST', '/v1/runs', { preset: 'smoke-tiny' })).status).toBe(403);
    expect((await call('agent', 'POST', '/v1/runs', { preset: 'smoke-tiny' })).status).toBe(403);
    expect((await call('viewer', 'POST', '/v1/imports')).status).toBe(403);
    const bobRun = await submitAs('bob', 'bob-run');
    expect((await call('bob', 'GET', `/v1/runs/${bobRun}`)).body['createdBy']).toBe('bob');
    expect((await call('admin', 'GET', `/v1/runs/${aliceRun}`)).body['createdBy']).toBe('alice');
  });

  it('cancel and retry: a researcher acts on its own runs only, admins on any, viewers on none', async () => {
    const bobRun = await submitAs('bob', 'bob-cancel');
    expect((await call('viewer', 'POST', `/v1/runs/${bobRun}/cancel`)).status).toBe(403);
    const refused = await call('alice', 'POST', `/v1/runs/${bobRun}/cancel`);
    expect(refused.status).toBe(403);
    expect(refused.body['message']).toContain('belongs to bob');
    expect((await call('admin', 'GET', `/v1/runs/${bobRun}`)).body['status']).toBe('queued');
    expect((await call('bob', 'POST', `/v1/runs/${bobRun}/cancel`)).status).toBe(200);
    expect((await call('alice', 'POST', `/v1/runs/${bobRun}/retry`)).status).toBe(403);
    expect((await call('bob', 'POST', `/v1/runs/${bobRun}/retry`)).status).toBe(202);

    const adminCancels = await submitAs('alice', 'admin-cancels');
    expect((await call('admin', 'POST', `/v1/runs/${adminCancels}/cancel`)).status).toBe(200);
    // Deleting is for admins only.
    expect((await call('alice', 'DELETE', `/v1/runs/${adminCancels}`)).status).toBe(403);
    expect((await call('admin', 'DELETE', `/v1/runs/${adminCancels}`)).status).toBe(204);
  });

  it('tokens and the queue reconcile are for admins only', async () => {
    for (const caller of ['alice', 'viewer', 'agent'] as const) {
      expect((await call(caller, 'GET', '/v1/tokens')).status).toBe(403);
      expect((await call(caller, 'POST', '/v1/tokens', { name: 'x', role: 'admin' })).status).toBe(403);
      expect((await call(caller, 'POST', '/v1/admin/queue/reconcile')).status).toBe(403);
    }
    expect((await call('admin', 'GET', '/v1/tokens')).status).toBe(200);
    expect((await call('admin', 'POST', '/v1/admin/queue/reconcile')).status).toBe(200);
  });

  it('agent routes: agent tokens (and admins) only, and an agent token only for its own agents and runs', async () => {
    const progress = { leaseToken, step: 1 };
    expect((await call('viewer', 'POST', AGENT_API.progress(leasedRun), progress)).status).toBe(403);
    expect((await call('alice', 'POST', AGENT_API.progress(leasedRun), progress)).status).toBe(403);
    expect((await call('agent', 'POST', AGENT_API.progress(leasedRun), progress)).status).toBe(200);

    // Another agent token: not its run, not its agent, not its agent's name.
    const other = await call('otherAgent', 'POST', AGENT_API.progress(leasedRun), progress);
    expect(other.status).toBe(403);
    expect(other.body['message']).toContain('not leased to an agent of this token');
    expect((await call('otherAgent', 'POST', AGENT_API.logs(leasedRun), {})).status).toBe(403);
    expect((await call('otherAgent', 'POST', `/v1/runs/${leasedRun}/rollouts`)).status).toBe(403);
    expect((await call('otherAgent', 'POST', AGENT_API.heartbeat(agentId), {})).status).toBe(403);
    const stolenName = await registerAgent({ ...api, authHeaders: headers.otherAgent }, 'roles-agent').catch(
      (error: Error) => error.message,
    );
    expect(stolenName).toMatch(/^register roles-agent: 403/);

    // The agent token on a run never leased to its agents: 403, nothing written.
    const queued = await createRun(api, { gpuCount: 1 });
    expect((await call('agent', 'POST', AGENT_API.progress(queued), { leaseToken, step: 1 })).status).toBe(
      403,
    );
    // Its own agent may claim the run; another token may not claim with that agent.
    const claim = { agentId, incarnation: '00000000-0000-4000-8000-000000000000', gpuIndices: [0] };
    expect((await call('otherAgent', 'POST', AGENT_API.claim(queued), claim)).status).toBe(403);
  });

  it('bull-board follows the same rules (401 without a token, readers only)', async () => {
    const board = '/admin/queues/api/queues';
    expect((await call('none', 'GET', board)).status).toBe(401);
    expect((await call('revoked', 'GET', board)).status).toBe(401);
    expect((await call('agent', 'GET', board)).status).toBe(403);
    expect((await call('viewer', 'GET', board)).status).toBe(200);
    // The panel's files hold no data and carry the login page: public.
    expect((await call('none', 'GET', '/admin/')).status).toBe(200);
  });

  it('documents the roles in OpenAPI: bearer and cookie schemes, x-brier-roles on each route', async () => {
    const document = (await (await fetch(`${api.url}/docs/json`)).json()) as {
      components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
      paths: Record<string, Record<string, { security?: unknown[]; 'x-brier-roles'?: string[] }>>;
    };
    expect(document.components.securitySchemes['bearer']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.paths['/v1/runs']?.['post']?.['x-brier-roles']).toEqual(['admin', 'researcher']);
    expect(document.paths['/v1/runs']?.['get']?.['x-brier-roles']).toEqual(['admin', 'researcher', 'viewer']);
    expect(document.paths['/v1/runs/{id}/progress']?.['post']?.['x-brier-roles']).toEqual(['admin', 'agent']);
    expect(document.paths['/v1/runs']?.['post']?.security).toEqual([{ bearer: [] }, { brier_session: [] }]);
    expect(document.paths['/health']?.['get']?.security).toBeUndefined();
  });
});
