import { PassThrough, Readable } from 'node:stream';
import type { CliIo } from '../src/cli-io.js';

export interface BufferedIo extends CliIo {
  out(): string;
  err(): string;
}

/** In-memory streams for running the CLI in-process. */
export function bufferedIo(stdinText = ''): BufferedIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on('data', (c: Buffer) => chunks.out.push(c));
  stderr.on('data', (c: Buffer) => chunks.err.push(c));
  return {
    stdin: Readable.from([stdinText]),
    stdout,
    stderr,
    out: () => Buffer.concat(chunks.out).toString('utf8'),
    err: () => Buffer.concat(chunks.err).toString('utf8'),
  };
}
