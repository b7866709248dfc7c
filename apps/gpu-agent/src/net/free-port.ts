import { randomInt } from 'node:crypto';
import { createServer, type Server } from 'node:net';

/**
 * A port that was free a moment ago: listen on port 0, read the port the kernel chose, close.
 * Each vLLM server the agent starts (a training run's, an evaluation's) gets its own, so runs
 * sharing a host never meet on prime-rl's default port. Another process may take it before the
 * server binds; the server then exits with "Address already in use", an ordinary, retried failure.
 */
export async function freeLocalPort(host = '127.0.0.1'): Promise<number> {
  const server = await listen(0, host);
  const address = server.address();
  await close(server);
  if (address === null || typeof address === 'string') throw new Error(`no TCP port from ${host}`);
  return address.port;
}

/**
 * Ports a process binds at fixed offsets from one it is given (prime-rl main's router serves
 * metrics on its port + 21000; a ZMQ transport takes port and port + 1): by name, the offsets
 * from each base. A name with offsets [0] alone is one port.
 */
export type PortPlan = Readonly<Record<string, readonly number[]>>;

const MAX_PORT = 65_535;
/** Bases for offset groups: above the well-known and common service ports. */
const MIN_GROUP_BASE = 20_000;
const GROUP_TRIES = 64;

export interface FreePortOptions {
  host?: string;
  /** Draws a candidate base in [min, max]; random by default (tests give a sequence). */
  drawBase?: (min: number, max: number) => number;
  /**
   * Ports not to hand out although they may look free (LocalPortBook's). Each port picked is
   * added to it as soon as it is picked, and taken back out if the call fails.
   */
  taken?: Set<number>;
}

/** A base per name of `plan` whose every offset was free a moment ago (see freeLocalPort). */
export async function freeLocalPorts(
  plan: PortPlan,
  {
    host = '127.0.0.1',
    drawBase = (min, max) => randomInt(min, max + 1),
    taken = new Set<number>(),
  }: FreePortOptions = {},
): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  const picked: number[] = [];
  try {
    for (const [name, offsets] of Object.entries(plan)) {
      const base = await freeBase(offsets, taken, { host, drawBase }, name);
      for (const offset of offsets) {
        taken.add(base + offset);
        picked.push(base + offset);
      }
      ports[name] = base;
    }
  } catch (error) {
    for (const port of picked) taken.delete(port);
    throw error;
  }
  return ports;
}

async function freeBase(
  offsets: readonly number[],
  taken: Set<number>,
  { host, drawBase }: Required<Pick<FreePortOptions, 'host' | 'drawBase'>>,
  name: string,
): Promise<number> {
  const widest = Math.max(0, ...offsets);
  const single = offsets.length <= 1 && widest === 0;
  for (let attempt = 0; attempt < GROUP_TRIES; attempt += 1) {
    // One port: the kernel's pick. A group: a random base, every member bound at once to check it.
    const base = single ? await freeLocalPort(host) : drawBase(MIN_GROUP_BASE, MAX_PORT - widest);
    const members = offsets.map((offset) => base + offset);
    if (members.some((port) => taken.has(port))) continue;
    if (single) return base;
    const held = await Promise.allSettled(members.map((port) => listen(port, host)));
    const bound = held.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    await Promise.all(bound.map(close));
    if (bound.length === members.length) return base;
    // In use is why another base is drawn; anything else (a bad host, no permission) is not.
    for (const result of held) {
      if (result.status === 'rejected' && !isAddressInUse(result.reason)) throw result.reason;
    }
  }
  throw new Error(
    `no free local ports for ${name} (offsets ${offsets.join(', ')}) after ${GROUP_TRIES} tries`,
  );
}

function isAddressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE';
}

async function listen(port: number, host: string): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, resolve);
  });
  return server;
}

function close(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
