// `brier analyze` against the seed's json + numpy computation on the same seed-sized file.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeGenerations } from './make-generations.mjs';

const RUNS = 3;

/** Wall seconds and peak RSS (MB) of one command, from GNU time. */
function measure(command, args, outFile) {
  const timing = `${outFile}.time`;
  execFileSync('/usr/bin/time', ['-f', '%e %M', '-o', timing, command, ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const [seconds, kb] = readFileSync(timing, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  rmSync(timing);
  return { seconds, peakMb: kb / 1024 };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function benchAnalyze(workDir) {
  mkdirSync(workDir, { recursive: true });
  const file = join(workDir, 'generations.jsonl');
  if (!existsSync(file)) await makeGenerations(file);
  const sizeMb = statSync(file).size / 2 ** 20;
  const root = new URL('../../', import.meta.url).pathname;
  const runs = { brier: [], baseline: [] };
  for (let i = 0; i < RUNS; i++) {
    runs.brier.push(
      measure(
        process.execPath,
        [join(root, 'apps/cli/bin/brier.js'), 'analyze', file, '--format', 'json'],
        file,
      ),
    );
    runs.baseline.push(measure('python3', [join(root, 'scripts/bench/baseline_analyze.py'), file], file));
  }
  const summary = (r) => ({
    seconds: median(r.map((x) => x.seconds)),
    peakMb: Math.max(...r.map((x) => x.peakMb)),
    runs: r,
  });
  const brier = summary(runs.brier);
  const baseline = summary(runs.baseline);
  return {
    name: 'analyze',
    input: { rollouts: 51_200, sizeMb: Number(sizeMb.toFixed(1)) },
    brier,
    baseline,
    speedup: Number((baseline.seconds / brier.seconds).toFixed(2)),
    targets: { fasterThanBaseline: brier.seconds < baseline.seconds, peakUnder500Mb: brier.peakMb < 500 },
  };
}
