import { createHash } from 'node:crypto';
import { lstat, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/**
 * A checkpoint directory's fingerprint: SHA-256 over every file's relative path and size, in
 * path order. It is what a later attempt checks before it trusts the directory instead of
 * re-running the GPU (reliability.md §2.11 #16): a file that went missing, was cut short by a
 * crash or a full disk, or was swapped for a different checkpoint changes it. Sizes, not
 * contents: hashing gigabytes of weights would cost minutes of CPU on every checkpoint, and the
 * failures above all change a size or a name.
 *
 * Of a step directory with a `trainer/` part, only that part: it is the state a resume restores,
 * and prime-rl main may write the orchestrator's half of its final checkpoint
 * (`orchestrator/progress.pt`) at shutdown, after the trainer's marker made the step complete, so
 * the whole directory could change after it was fingerprinted.
 */
export async function checkpointFingerprint(stepDir: string): Promise<string> {
  const trainer = join(stepDir, 'trainer');
  return fingerprintOf((await isDirectory(trainer)) ? trainer : stepDir);
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

async function fingerprintOf(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory()) continue;
    const path = join(entry.parentPath, entry.name);
    // lstat: a link is fingerprinted as the link, never followed out of the directory.
    const { size } = await lstat(path);
    files.push(`${relative(dir, path).split(sep).join('/')}\t${size}`);
  }
  files.sort();
  return createHash('sha256').update(files.join('\n')).digest('hex');
}
