import { createServer, type Server } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { freeLocalPorts } from './free-port.js';
import { LocalPortBook } from './local-port-book.js';

const held: Server[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function bindAll(ports: number[]): Promise<void> {
  for (const port of ports) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '127.0.0.1', exclusive: true }, resolve);
    });
    held.push(server);
  }
}

describe('freeLocalPorts', () => {
  it('gives each name a base whose every offset is free, no port twice, and they bind', async () => {
    const plan = { router: [0, 21_000], engine: [0], zmq: [0, 1], broadcast: [0] };
    const ports = await freeLocalPorts(plan);
    const all = Object.entries(plan).flatMap(([name, offsets]) =>
      offsets.map((offset) => ports[name]! + offset),
    );
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((port) => port >= 1 && port <= 65_535)).toBe(true);
    expect(ports['router']!).toBeLessThanOrEqual(65_535 - 21_000);
    // Free a moment ago means bindable now, every one of them.
    await bindAll(all);
  });

  it("skips a base whose offset port is taken, or that another name's ports already use", async () => {
    const { free } = await freeLocalPorts({ free: [0, 1, 2, 3] });
    await bindAll([free! + 1]); // a ZMQ pair at `free` would need free + 1
    const draws = [free!, free!, free! + 2, free! + 2];
    const ports = await freeLocalPorts(
      { first: [0, 1], second: [0], third: [0, 1] },
      { drawBase: (min, max) => draws.shift() ?? min + Math.floor(Math.random() * (max - min)) },
    );
    // first: `free` fails its bind check (free + 1 is held), free again too, then free + 2.
    expect(ports['first']).toBe(free! + 2);
    // third draws free + 2 as well: first's (free + 2, free + 3), so it draws again.
    expect(ports['third']).not.toBe(free! + 2);
    expect(draws).toEqual([]);
  });
});

describe('freeLocalPorts failures', () => {
  it('names the plan entry it could not place, and leaves nothing marked taken', async () => {
    const { held: base } = await freeLocalPorts({ held: [0, 1] });
    await bindAll([base!, base! + 1]);
    const taken = new Set<number>();
    await expect(
      freeLocalPorts({ fine: [0], busy: [0, 1] }, { taken, drawBase: () => base! }),
    ).rejects.toThrow(/no free local ports for busy \(offsets 0, 1\) after 64 tries/);
    expect(taken.size).toBe(0);
  });

  it('gives up at once on an error other than "in use"', async () => {
    await expect(freeLocalPorts({ pair: [0, 1] }, { host: '192.0.2.1' })).rejects.toMatchObject({
      code: 'EADDRNOTAVAIL',
    });
  });
});

describe('LocalPortBook', () => {
  it('keeps an attempt’s ports from the next one until released, even while nothing binds them', async () => {
    const book = new LocalPortBook();
    const plan = { router: [0, 21_000], engine: [0] };
    const first = await book.reserve(plan);
    const mine = [first.ports['router']!, first.ports['router']! + 21_000, first.ports['engine']!];
    expect([...book.held].sort()).toEqual([...mine].sort());
    // The next attempt's draws all land on the first one's router base: it must draw past it.
    const draws = [first.ports['router']!];
    const second = await book.reserve(plan, {
      drawBase: (min, max) => draws.shift() ?? min + Math.floor(Math.random() * (max - min)),
    });
    expect(second.ports['router']).not.toBe(first.ports['router']);
    first.release();
    first.release();
    expect(mine.some((port) => book.held.has(port))).toBe(false);
    second.release();
    expect(book.held.size).toBe(0);
  });
});
