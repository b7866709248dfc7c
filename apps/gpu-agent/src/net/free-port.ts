import { createServer } from 'node:net';

/**
 * A port that was free a moment ago: listen on port 0, read the port the kernel chose, close.
 * Each vLLM server the agent starts (a training run's, an evaluation's) gets its own, so runs
 * sharing a host never meet on prime-rl's default port. Another process may take it before the
 * server binds; the server then exits with "Address already in use", an ordinary, retried failure.
 */
export async function freeLocalPort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  if (address === null || typeof address === 'string') throw new Error(`no TCP port from ${host}`);
  return address.port;
}
