import { createServer, request, type Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * An HTTP proxy in front of the test API that drops, without an answer, every request whose path
 * matches the pattern given to block(), and forwards all others. An agent behind it loses one
 * route (its rollout ingestion, say) while its heartbeats still arrive, so the outage a test
 * makes can last longer than the lease timeout without the run being declared lost.
 */
export class RouteBlockingProxy {
  private blocked: RegExp | null = null;
  private readonly sockets = new Set<Socket>();
  /** Requests dropped so far. */
  dropped = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async open(targetUrl: string): Promise<RouteBlockingProxy> {
    const target = new URL(targetUrl);
    let proxy: RouteBlockingProxy | null = null;
    const server = createServer((incoming, answer) => {
      if (proxy?.blocked?.test(incoming.url ?? '')) {
        proxy.dropped += 1;
        incoming.socket.destroy();
        return;
      }
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (response) => {
          answer.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(answer);
        },
      );
      upstream.on('error', () => incoming.socket.destroy());
      incoming.pipe(upstream);
    });
    server.on('connection', (socket) => {
      proxy?.sockets.add(socket);
      socket.on('close', () => proxy?.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
    proxy = new RouteBlockingProxy(server, `http://127.0.0.1:${address.port}`);
    return proxy;
  }

  /** Drop requests whose path matches `pattern` from now on; null forwards everything again. */
  block(pattern: RegExp | null): void {
    this.blocked = pattern;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
