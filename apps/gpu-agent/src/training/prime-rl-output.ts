import { rename, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { readTail } from '../files/read-tail.js';
import type { PrimeRlLayout } from '../prime-rl/prime-rl-adapter.js';

// What an attempt tidies and reads in prime-rl's output directory, around its launch.

/** prime-rl's logs/ is shared by every attempt of a run: keep the earlier one's, start clean. */
export async function archiveEarlierLogs(outputDir: string, attempt: number): Promise<void> {
  const logs = join(outputDir, 'logs');
  try {
    await stat(logs);
  } catch {
    return;
  }
  await rename(logs, join(outputDir, `logs-before-attempt-${attempt}-${Date.now()}`));
}

/**
 * What the verdict reads: the launcher's stderr, then the end of its console and of each child's
 * log. rl.py runs its children with their output in logs/<child>.stdout and exits 1 whatever
 * failed, saying only "<Child> failed with exit code N" on its console: a missing module or a
 * refused config in the orchestrator shows in its log alone, and must not be retried as unknown.
 */
export async function failureOutput(
  stderrTail: string,
  attemptDir: string,
  layout: PrimeRlLayout,
): Promise<string> {
  const files = [
    join(attemptDir, 'stdout.log'),
    layout.orchestratorLog,
    layout.trainerLog,
    layout.inferenceLog,
  ];
  const tails = await Promise.all(files.map((file) => readTail(file)));
  return [stderrTail, ...tails].filter((text) => text !== '').join('\n');
}
