import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP load balancer in front of several API processes: each new connection goes to the next
 * backend in turn (what a layer-4 balancer does; HTTP keep-alive keeps a client's requests on
 * its connection's backend). Counts connections per backend, so a test can see both served.
 */
export interface Balancer {
  url: string;
  /** Connections handed to each backend so far, in backend order. */
  connections: number[];
  close(): Promise<void>;
}

export async function startBalancer(backends: { port: number }[]): Promise<Balancer> {
  const connections = backends.map(() => 0);
  const sockets = new Set<Socket>();
  let next = 0;
  const server: Server = createServer((client) => {
    const index = next;
    next = (next + 1) % backends.length;
    connections[index]! += 1;
    const upstream = connect(backends[index]!.port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    // A reset on either side ends both (a backend that stopped, a client that went away).
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('balancer has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
