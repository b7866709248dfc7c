// `npm run bench [name…]`: runs the benchmarks (all, or those named) and writes
// bench-results/<name>.json for each (needs `npm run build`). Each benchmark starts what it needs
// on loopback and stops it; request loops are bounded in count and time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

import { benchAgent } from './agent.bench.mjs';
import { benchAnalyze } from './analyze.bench.mjs';
import { benchImport } from './import.bench.mjs';
import { benchMetrics } from './metrics.bench.mjs';
import { benchPanel } from './panel.bench.mjs';
import { benchSubmit } from './submit.bench.mjs';

const BENCHMARKS = {
  agent: benchAgent,
  analyze: benchAnalyze,
  import: benchImport,
  metrics: benchMetrics,
  panel: benchPanel,
  submit: benchSubmit,
};

const root = new URL('../../', import.meta.url).pathname;
const outDir = join(root, 'bench-results');
const workDir = join(outDir, 'work');
mkdirSync(outDir, { recursive: true });

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
}

const machine = {
  node: process.version,
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  date: new Date().toISOString(),
};
for (const [name, bench] of Object.entries(BENCHMARKS)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const result = { ...(await bench(workDir)), machine };
  const file = join(outDir, `${result.name ?? name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`${name}: -> ${file}`);
}
