// `npm run bench`: runs each benchmark and writes bench-results/<name>.json (needs `npm run build`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { benchAnalyze } from './analyze.bench.mjs';

const root = new URL('../../', import.meta.url).pathname;
const outDir = join(root, 'bench-results');
const workDir = join(outDir, 'work');
mkdirSync(outDir, { recursive: true });

const machine = {
  node: process.version,
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  date: new Date().toISOString(),
};
for (const bench of [benchAnalyze]) {
  const result = { ...(await bench(workDir)), machine };
  const file = join(outDir, `${result.name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `${result.name}: ${JSON.stringify({ brier: result.brier.seconds, baseline: result.baseline.seconds, speedup: result.speedup, peakMb: Math.round(result.brier.peakMb) })} -> ${file}`,
  );
}
