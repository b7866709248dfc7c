// Protocol pings for scripts/start.mjs: a TCP connection plus a real Postgres or Redis exchange.
import { connect, createServer, isIP } from 'node:net';
import { connect as connectTls } from 'node:tls';

import { capture } from './processes.mjs';

const PING_TIMEOUT_MS = 2_000;

/** `[::1]` → `::1`: what net.connect wants. */
export function hostOf(url) {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

export function portOf(url, fallback) {
  return url.port === '' ? fallback : Number(url.port);
}

export function isLoopback(url) {
  const host = hostOf(url);
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A URL fit to print: its password replaced by ***. */
export function shown(url) {
  if (url.password === '') return url.toString();
  const copy = new URL(url);
  copy.password = '***';
  return copy.toString();
}

/**
 * Sends `payload` and collects the answer until `isComplete(buffer)`. Rejects on error or timeout,
 * the error's `connected` saying whether something accepted the connection.
 */
function exchange(host, port, payload, isComplete, { tls = false, timeoutMs = PING_TIMEOUT_MS } = {}) {
  return new Promise((resolve, reject) => {
    const socket = tls
      ? connectTls({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}) })
      : connect({ host, port });
    let received = Buffer.alloc(0);
    let settled = false;
    let connected = false;
    const finish = (error, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(Object.assign(error, { connected }));
      else resolve(value);
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      connected = true;
      socket.write(payload);
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (isComplete(received)) finish(null, received);
    });
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(new Error('connection closed without an answer')));
  });
}

function unanswered(error, what) {
  const reason = error.code ?? error.message;
  return error.connected
    ? `something accepted the connection but did not answer like ${what} (${reason})`
    : reason;
}

/**
 * Postgres: an SSLRequest (the first message of the wire protocol) must be answered with 'S' or
 * 'N'; then, where pg_isready exists, it must say the server accepts connections.
 * Resolves { ok: true } or { ok: false, reachable, transient?, why }.
 */
export async function pingPostgres(url, pgIsReady) {
  const host = hostOf(url);
  const port = portOf(url, 5432);
  try {
    const sslRequest = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
    const answer = await exchange(host, port, sslRequest, (b) => b.length >= 1);
    const first = String.fromCharCode(answer[0]);
    if (first !== 'S' && first !== 'N') return { ok: false, reachable: true, why: 'not a Postgres server' };
  } catch (error) {
    return { ok: false, reachable: error.connected, why: unanswered(error, 'Postgres') };
  }
  if (pgIsReady === undefined) return { ok: true };
  const ready = await capture(pgIsReady, ['-h', host, '-p', String(port), '-t', '3'], { timeoutMs: 5_000 });
  if (ready.code === 0) return { ok: true };
  // pg_isready exits 1 while the server is starting up (or shutting down): worth waiting for.
  return {
    transient: ready.code === 1,
    ok: false,
    reachable: true,
    why: (ready.stdout || ready.stderr).trim() || `pg_isready exited ${ready.code}`,
  };
}

function resp(args) {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** Redis: AUTH (if the URL has credentials) and PING over a socket (TLS for rediss://); PING must answer +PONG. */
export async function pingRedis(url) {
  const commands = [];
  if (url.password !== '') {
    const password = decodeURIComponent(url.password);
    commands.push(
      url.username === '' ? ['AUTH', password] : ['AUTH', decodeURIComponent(url.username), password],
    );
  }
  commands.push(['PING']);
  let lines;
  try {
    const payload = commands.map(resp).join('');
    const complete = (b) => b.toString('latin1').split('\r\n').length > commands.length;
    const answer = await exchange(hostOf(url), portOf(url, 6379), payload, complete, {
      tls: url.protocol === 'rediss:',
    });
    lines = answer.toString('utf8').split('\r\n');
  } catch (error) {
    return { ok: false, reachable: error.connected, why: unanswered(error, 'Redis') };
  }
  const failed = lines.slice(0, commands.length).find((line) => line.startsWith('-'));
  if (failed !== undefined) {
    // -LOADING: Redis is reading its AOF after a restart, and will answer soon.
    return {
      ok: false,
      reachable: true,
      transient: failed.startsWith('-LOADING'),
      why: `Redis answered ${failed.slice(1)}`,
    };
  }
  if (lines[commands.length - 1] !== '+PONG')
    return { ok: false, reachable: true, why: 'not a Redis server' };
  return { ok: true };
}

/** `preferred` if nothing listens there on 127.0.0.1, else a free port the system picks. */
export async function freePort(preferred) {
  const tryListen = (port) =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => {
        const { port: bound } = server.address();
        server.close(() => resolve(bound));
      });
    });
  return (await tryListen(preferred)) ?? (await tryListen(0));
}
