import type { IncomingMessage, ServerResponse } from 'node:http';

import { describe, expect, it, vi } from 'vitest';

import { AdminAccessMiddleware, OPEN_ADMIN_ACCESS, type AdminAccessPolicy } from './admin-access.js';

function response(): ServerResponse & { body: string; status: number } {
  const fake = {
    body: '',
    status: 0,
    writeHead(status: number) {
      fake.status = status;
    },
    end(body: string) {
      fake.body = body;
    },
  };
  return fake as unknown as ServerResponse & { body: string; status: number };
}

describe('AdminAccessMiddleware (the seam for issue 6)', () => {
  const request = { headers: {} } as IncomingMessage;

  it('lets everyone through with the open policy', async () => {
    const next = vi.fn();
    await new AdminAccessMiddleware(OPEN_ADMIN_ACCESS).use(request, response(), next);
    expect(next).toHaveBeenCalledWith();
  });

  it('answers 403 when the policy refuses, and passes a policy error on', async () => {
    const refusing: AdminAccessPolicy = { allows: () => Promise.resolve(false) };
    const res = response();
    const next = vi.fn();
    await new AdminAccessMiddleware(refusing).use(request, res, next);
    expect(next).not.toHaveBeenCalled();
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ statusCode: 403, error: 'Forbidden' });

    const failure = new Error('session store down');
    const failing: AdminAccessPolicy = { allows: () => Promise.reject(failure) };
    await new AdminAccessMiddleware(failing).use(request, response(), next);
    expect(next).toHaveBeenCalledWith(failure);
  });
});
