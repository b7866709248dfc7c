import { writeFileSync } from 'node:fs';
import { appendFile, mkdtemp, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';

import { LineFollower, type FollowerReset } from './line-follower.js';

const POLL_MS = 10;
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'brier-follower-'));
  dirs.push(dir);
  return join(dir, 'out.log');
}

/** Reads the follower's lines in the background, as a consumer would. */
function consume(follower: LineFollower): { lines: string[]; done: Promise<void> } {
  const lines: string[] = [];
  const done = (async () => {
    for await (const line of follower.lines()) lines.push(line);
  })();
  return { lines, done };
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(10);
  }
}

describe('LineFollower', () => {
  it('follows a file created after it started, written in pieces by another process', async () => {
    const path = await tempFile();
    const follower = new LineFollower(path, { pollMs: POLL_MS });
    const { lines, done } = consume(follower);
    await sleep(50); // the file does not exist yet: the follower waits for it
    // Pieces cut inside lines and inside multi-byte characters, flushed with pauses between.
    const pieces = ['first li', 'ne\nsecond ', 'line with é', 'and 🎯', '\nthird\r\n', 'unterminated'];
    const writer = `
import sys, time
with open(sys.argv[1], 'ab', buffering=0) as f:
    for piece in sys.argv[2:]:
        data = piece.encode()
        half = len(data) // 2
        for part in (data[:half], data[half:]):
            f.write(part)
            time.sleep(0.02)
`;
    await execa('python3', ['-c', writer, path, ...pieces], { timeout: 10_000 });
    await waitFor(() => lines.length === 3, 'three complete lines');
    expect(lines).toEqual(['first line', 'second line with éand 🎯', 'third\r']);
    expect(follower.offset).toBe(Buffer.byteLength('first line\nsecond line with éand 🎯\nthird\r\n'));

    await follower.finish(2_000);
    await done;
    expect(lines.at(-1)).toBe('unterminated');
    expect(follower.offset).toBe((await stat(path)).size);
  });

  it('keeps up with 100k lines and a 1 MB line while they are written', async () => {
    const path = await tempFile();
    const follower = new LineFollower(path, { pollMs: POLL_MS });
    const { lines, done } = consume(follower);
    const longLine = 'ü'.repeat(512 * 1024); // 1 MiB of 2-byte characters
    const numbered = (from: number) => Array.from({ length: 25_000 }, (_, i) => `line ${from + i}`);
    await appendFile(path, `${numbered(0).join('\n')}\n`);
    await appendFile(path, `${longLine.slice(0, 1000)}`);
    await sleep(30);
    await appendFile(path, `${longLine.slice(1000)}\n`);
    for (const from of [25_000, 50_000, 75_000]) await appendFile(path, `${numbered(from).join('\n')}\n`);
    await follower.finish(5_000);
    await done;
    expect(lines).toHaveLength(100_001);
    expect(lines[25_000]).toBe(longLine);
    const numberedLines = lines.filter((line) => line !== longLine);
    expect(numberedLines.every((line, i) => line === `line ${i}`)).toBe(true);
  });

  it('starts over from byte 0 when the file is truncated or replaced, and says so', async () => {
    const path = await tempFile();
    const resets: FollowerReset[] = [];
    const follower = new LineFollower(path, { pollMs: POLL_MS, onReset: (event) => resets.push(event) });
    const { lines, done } = consume(follower);
    await writeFile(path, 'one\ntwo\npartial');
    await waitFor(() => lines.length === 2, 'the first two lines');

    await truncate(path, 0);
    await appendFile(path, 'three\n');
    await waitFor(() => lines.length === 3, 'the line after truncation');
    expect(resets).toEqual([{ kind: 'truncated', path, droppedBytes: 'partial'.length }]);

    // A new file under the name (a rotation): the old one is read to its end first.
    await appendFile(path, 'four\n');
    await writeFile(`${path}.new`, 'five\n');
    await rename(`${path}.new`, path);
    await waitFor(() => lines.length === 5, 'the lines of the new file');
    expect(resets.at(-1)).toMatchObject({ kind: 'replaced' });
    await follower.finish(1_000);
    await done;
    expect(lines).toEqual(['one', 'two', 'three', 'four', 'five']);
  });

  it('resumes from a previous offset without repeating or losing a line', async () => {
    const path = await tempFile();
    await writeFile(path, 'a\nb\nhalf');
    const first = new LineFollower(path, { pollMs: POLL_MS });
    const read = consume(first);
    await waitFor(() => read.lines.length === 2, 'a and b');
    await first.close();
    await read.done;
    expect(first.offset).toBe(4);

    await appendFile(path, ' done\nc\n');
    const second = new LineFollower(path, { pollMs: POLL_MS, startOffset: first.offset });
    const again = consume(second);
    await second.finish(1_000);
    await again.done;
    expect(again.lines).toEqual(['half done', 'c']);
  });

  it('reads to the end on finish() though its look for the file began before the file was there', async () => {
    const path = await tempFile();
    const follower = new LineFollower(path, { pollMs: 60_000 });
    const read = consume(follower); // its first open() is in flight: the file does not exist yet
    writeFileSync(path, 'first\nlast\n');
    await follower.finish(1_000);
    await read.done;
    expect(read.lines).toEqual(['first', 'last']);
  });

  it('close() ends a waiting iterator at once; finish() gives up on a consumer that stopped reading', async () => {
    const path = await tempFile();
    const waiting = new LineFollower(path, { pollMs: 60_000 });
    const { done } = consume(waiting);
    await sleep(20);
    const began = Date.now();
    await waiting.close();
    await done;
    expect(Date.now() - began).toBeLessThan(500);

    await writeFile(path, 'x\ny\nz\n');
    const stuck = new LineFollower(path, { pollMs: POLL_MS });
    const iterator = stuck.lines()[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ value: 'x', done: false }); // then never reads again
    await expect(stuck.finish(100)).rejects.toThrow(/still unread 100 ms after finish/);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });
});
