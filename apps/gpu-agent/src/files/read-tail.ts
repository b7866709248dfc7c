import { open } from 'node:fs/promises';

const TAIL_BYTES = 4000;

/** The last bytes of a file ('' when it does not exist): where a dead process says why. */
export async function readTail(path: string, bytes = TAIL_BYTES): Promise<string> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
  try {
    const { size } = await file.stat();
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, size - length);
    return buffer.toString('utf8').trim();
  } finally {
    await file.close();
  }
}
